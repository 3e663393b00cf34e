package dev.corral.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Sample statistics in milliseconds. */
record Stats(String name, List<Double> samplesMs) {
    static Stats of(String name, List<Double> samples) {
        var sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return new Stats(name, sorted);
    }

    double median() {
        return percentile(50);
    }

    double percentile(double p) {
        int i = (int) Math.ceil(p / 100.0 * samplesMs.size()) - 1;
        return samplesMs.get(Math.max(0, Math.min(samplesMs.size() - 1, i)));
    }

    String row(Stats baseline) {
        return String.format("%-44s %8d %9.2f %9.2f %8.2fx", name, samplesMs.size(), median(), percentile(99),
                median() / baseline.median());
    }

    static String header() {
        return String.format("%-44s %8s %9s %9s %9s", "measurement", "samples", "median ms", "p99 ms", "vs base");
    }
}
