package dev.corral.bench;

import dev.corral.bench.TerminalBench.Contender;
import dev.corral.bench.TerminalBench.Receiver;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two daemons side by side, started with different JVM options, their terminals' output throughput and echo measured
 * in paired rounds: A then B, then B then A, and so on. This machine's speed drifts by more within a minute than most
 * changes to the daemon are worth (see docs/terminals.md), so only rounds taken moments apart are compared, and the
 * figure to read is the median of the per-round ratios. Two identical option sets show how large the noise is.
 * Usage: bench/run terminal-ab [rounds, default 12] [JVM options of A, default none] [JVM options of B, default none];
 * both come after CORRAL_JAVA_OPTS and the daemon's own (a later -XX option wins).
 */
public final class TerminalAbBench {
    private static final int MB = 64;
    private static final int TRIPS_PER_ROUND = 200;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1: " + rounds);
        List<String> options = List.of(args.length > 1 ? args[1] : "", args.length > 2 ? args[2] : "");
        String base = System.getProperty("corral.daemon.javaOpts", "");
        Path tmp = Files.createTempDirectory("corral-terminal-ab");
        var daemons = new ArrayList<TestDaemon>();
        var contenders = new ArrayList<Contender>();
        try {
            for (int i = 0; i < 2; i++) {
                String name = (i == 0 ? "A" : "B") + " [" + options.get(i) + "]";
                System.setProperty("corral.daemon.javaOpts", (base + " " + options.get(i)).trim());
                var daemon = TestDaemon.start(tmp.resolve("home-" + i), Map.of("LOG_LEVEL", "WARN"));
                daemons.add(daemon);
                var rx = new Receiver();
                var session = TerminalBench.corralSession(daemon, TerminalBench.Tab.open(daemon.api()), rx);
                contenders.add(new Contender(name, session, rx));
            }
            for (var c : contenders) TerminalBench.warmUp(c, MB);
            for (int round = 0; round < rounds; round++) {
                var order = round % 2 == 0 ? contenders : contenders.reversed();
                for (var c : order) TerminalBench.throughput(c);
                for (var c : order) c.echoMs.addAll(TerminalBench.echo(c.session, c.rx, TRIPS_PER_ROUND));
            }
            report(contenders.get(0), contenders.get(1), rounds);
        } finally {
            for (var c : contenders) c.session.close();
            for (var d : daemons) d.close(); // the files catted were in the sandboxes' own /tmp: gone with them
        }
    }

    private static void report(Contender a, Contender b, int rounds) {
        System.out.printf("%n%d paired rounds: a cat of %.0f MB through each terminal, then %d single-byte echo round trips%n",
                rounds, a.bytes / 1e6, TRIPS_PER_ROUND);
        System.out.printf("%-40s %8s %16s %12s %12s%n", "daemon (JVM options)", "MB/s", "daemon CPU ms/MB", "echo p50 ms",
                "echo p99 ms");
        for (var x : List.of(a, b)) {
            System.out.printf("%-40s %8.1f %16.1f %12.3f %12.3f%n", x.name, x.throughput(), x.cpu(), x.echo().median(),
                    x.echo().percentile(99));
        }
        var ratios = new ArrayList<Double>();
        for (int i = 0; i < rounds; i++) ratios.add(b.mbPerSecond.get(i) / a.mbPerSecond.get(i));
        var r = Stats.of("B/A", ratios);
        System.out.printf("%nB/A throughput, median of the per-round ratios: %.2fx (quartiles %.2fx-%.2fx)%n", r.median(),
                r.percentile(25), r.percentile(75));
        for (var x : List.of(a, b)) {
            System.out.printf("  %s: MB/s per round %s%n", x.name,
                    x.mbPerSecond.stream().map(v -> String.format("%.0f", v)).toList());
        }
    }

    private TerminalAbBench() {
    }
}
