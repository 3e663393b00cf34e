package dev.corral.metrics;

import dev.corral.acp.EventLog;
import dev.corral.pty.Terminal;
import dev.corral.store.Database;
import dev.corral.workspace.WorkspaceService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's metrics in Prometheus format: workspaces by state, sessions by state, events recorded, terminal output
 * bytes, sandbox start latency, plus the JVM's own. Counts by state are read when scraped.
 */
public final class CorralMetrics {
    private static final List<String> WORKSPACE_STATES = List.of("creating", "running", "stopped", "failed", "deleting");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> workspaces = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> sessions = new ConcurrentHashMap<>();
    private final WorkspaceService workspaceService;
    private final Database db;
    private final Timer sandboxStart;

    public CorralMetrics(WorkspaceService workspaceService, Database db, EventLog events) {
        this.workspaceService = workspaceService;
        this.db = db;
        for (String state : WORKSPACE_STATES) {
            var v = new AtomicLong();
            workspaces.put(state, v);
            Gauge.builder("corral_workspaces", v, AtomicLong::get).tag("state", state)
                    .description("Workspaces by state").register(registry);
        }
        for (String state : List.of("starting", "ready", "crashed", "restarting", "suspended", "stopped")) {
            var v = new AtomicLong();
            sessions.put(state, v);
            Gauge.builder("corral_sessions", v, AtomicLong::get).tag("state", state)
                    .description("Agent sessions by state").register(registry);
        }
        FunctionCounter.builder("corral_events", events, e -> e.stats().events())
                .description("Session events recorded durably").register(registry);
        FunctionCounter.builder("corral_event_commits", events, e -> e.stats().commits())
                .description("SQLite commits of the event log (events per commit shows the group commit at work)")
                .register(registry);
        FunctionCounter.builder("corral_terminal_output_bytes", Terminal.OUTPUT_BYTES, a -> a.sum())
                .description("Bytes of terminal output read").register(registry);
        sandboxStart = Timer.builder("corral_sandbox_start").description("Time from sandbox launch to ready")
                .publishPercentileHistogram().register(registry);
        Gauge.builder("corral_sandbox_warm", workspaceService, WorkspaceService::warmSandboxes)
                .description("Sandboxes started ahead of need, waiting for a workspace").register(registry);
        FunctionCounter.builder("corral_sandbox_warm_starts", workspaceService, WorkspaceService::warmStarts)
                .description("Workspace starts served by a warm sandbox").register(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
    }

    /** Records one sandbox start. */
    public void sandboxStarted(Duration took) {
        sandboxStart.record(took);
    }

    /** The Prometheus text exposition, with the by-state gauges read now. */
    public String scrape() {
        workspaces.values().forEach(v -> v.set(0));
        for (var w : workspaceService.list()) {
            var v = workspaces.get(w.state());
            if (v != null) v.incrementAndGet();
        }
        sessions.values().forEach(v -> v.set(0));
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT state, count(*) FROM sessions GROUP BY state")) {
                var rs = s.executeQuery();
                while (rs.next()) {
                    var v = sessions.computeIfAbsent(rs.getString(1), k -> {
                        var n = new AtomicLong();
                        Gauge.builder("corral_sessions", n, AtomicLong::get).tag("state", k).register(registry);
                        return n;
                    });
                    v.set(rs.getLong(2));
                }
            }
            return null;
        });
        return registry.scrape();
    }
}
