package dev.corral.bench;

import dev.corral.sandbox.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;

public final class SpawnProbe {
    public static void main(String[] args) throws Exception {
        Path tmp = Files.createTempDirectory("probe");
        Files.createDirectories(tmp.resolve("ws"));
        var backend = new BwrapBackend(tmp.resolve("state"), "probe-" + ProcessHandle.current().pid(), Duration.ofSeconds(20));
        var spec = new SandboxSpec("ws-probe", tmp.resolve("ws"), tmp.resolve("home"), tmp.resolve("run"), null, null, Map.of(), Map.of());
        try (Sandbox s = backend.create(spec)) {
            s.start();
            for (int round = 0; round < 3; round++) {
                var a = new ArrayList<Double>(); var b = new ArrayList<Double>();
                for (int i = 0; i < 50; i++) {
                    long t = System.nanoTime();
                    Process p = s.spawn(SandboxCommand.of("true"), false);
                    p.getInputStream().readAllBytes(); p.waitFor();
                    a.add((System.nanoTime() - t) / 1e6);
                    t = System.nanoTime();
                    Process q = new ProcessBuilder("true").start(); q.getInputStream().readAllBytes(); q.waitFor();
                    b.add((System.nanoTime() - t) / 1e6);
                }
                Collections.sort(a); Collections.sort(b);
                System.out.printf("launcher spawn median %.2f ms   host ProcessBuilder(true) %.2f ms%n", a.get(25), b.get(25));
            }
        }
    }
}
