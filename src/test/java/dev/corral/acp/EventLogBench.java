package dev.corral.acp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Measures durable appends per second: every counted event has been committed (WAL, synchronous=NORMAL).
 * {@code java -cp <test classpath> dev.corral.acp.EventLogBench [events] [appenders] [sessions]}.
 * Two modes: {@code appenders} virtual threads each calling the blocking {@link EventLog#append} in a loop
 * (one session turn per thread, as the daemon does), and one thread pipelining {@link EventLog#appendAsync}.
 */
public final class EventLogBench {

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        int appenders = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int sessions = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        // A typical agent_message_chunk update, ~230 bytes.
        String data = "{\"sessionId\":\"sess_01JB8Y6Q2F9W\",\"update\":{\"sessionUpdate\":\"agent_message_chunk\","
                + "\"content\":{\"type\":\"text\",\"text\":\"Let me look at the failing test in src/test/java and "
                + "check the assertion that compares the two lists.\"}}}";
        System.out.printf("cpus=%d events=%d appenders=%d sessions=%d dataBytes=%d%n",
                Runtime.getRuntime().availableProcessors(), events, appenders, sessions, data.length());
        for (int round = 0; round < 2; round++) {
            Path dir = Files.createTempDirectory("eventlog-bench");
            try (var log = new EventLog(TestDatabase.create(dir.resolve("corral.db")))) {
                long start = System.nanoTime();
                var threads = new ArrayList<Thread>();
                int per = events / appenders;
                for (int t = 0; t < appenders; t++) {
                    String session = "s" + (t % sessions);
                    threads.add(Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < per; i++) {
                            log.append(session, EventType.SESSION_UPDATE, data);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                report("blocking append, " + appenders + " appenders", per * appenders, start);
                System.out.println("  " + log.stats());
            }
            try (var log = new EventLog(TestDatabase.create(dir.resolve("corral2.db")))) {
                long start = System.nanoTime();
                var window = new Semaphore(8192);
                CompletableFuture<Event> last = null;
                for (int i = 0; i < events; i++) {
                    window.acquire();
                    last = log.appendAsync("s" + (i % sessions), EventType.SESSION_UPDATE, data);
                    last.whenComplete((e, x) -> window.release());
                }
                last.join();
                window.acquire(8192);
                report("pipelined appendAsync, one producer", events, start);
                System.out.println("  " + log.stats());
            }
        }
    }

    private static void report(String what, long n, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("%-45s %,10d events in %6.2f s = %,10.0f events/s durable; writer thread CPU %.2f us/event%n",
                what, n, seconds, n / seconds, writerCpuNanos() / 1e3 / n);
    }

    /**
     * CPU time of the log's writer thread so far: unlike events/s it hardly depends on what else runs on the machine.
     * Each log has its own writer, so the reading is taken before that log is closed.
     */
    private static long writerCpuNanos() {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("event-log-writer"))
                .mapToLong(t -> mx.getThreadCpuTime(t.threadId())).sum();
    }
}
