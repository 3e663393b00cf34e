package dev.corral.api;

import dev.corral.Version;
import io.javalin.http.Context;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** {@code GET /health}: open, no token. */
final class HealthRoutes {
    private final long startedAt = System.nanoTime();
    private final String sandbox;
    private final String cgroups;
    private final Supplier<List<String>> warnings;

    HealthRoutes(String sandbox, String cgroups, Supplier<List<String>> warnings) {
        this.sandbox = sandbox;
        this.cgroups = cgroups;
        this.warnings = warnings;
    }

    void health(Context ctx) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Map<String, Object> system = new LinkedHashMap<>();
        system.put("cpus", Runtime.getRuntime().availableProcessors());
        system.put("memoryBytes", os.getTotalMemorySize());
        system.put("sandbox", sandbox);
        system.put("cgroups", cgroups);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        body.put("version", Version.get());
        body.put("uptimeSeconds", (System.nanoTime() - startedAt) / 1_000_000_000L);
        body.put("system", system);
        body.put("warnings", warnings.get());
        ctx.json(body);
    }
}
