package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.workspace.ExecRequest;
import dev.corral.workspace.WorkspaceService;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** The processes API. */
final class ProcessRoutes {
    private static final int MAX_OUTPUT_CHUNK = 4 * 1024 * 1024;

    private final WorkspaceService workspaces;

    ProcessRoutes(WorkspaceService workspaces) {
        this.workspaces = workspaces;
    }

    private static int pid(Context ctx) {
        try {
            return Integer.parseInt(ctx.pathParam("pid"));
        } catch (NumberFormatException e) {
            throw CorralException.badRequest("invalid_pid", "pid must be a number: " + ctx.pathParam("pid"));
        }
    }

    private static long longParam(Context ctx, String name, long def, long min, long max) {
        String v = ctx.queryParam(name);
        if (v == null) return def;
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw CorralException.badRequest("invalid_" + name, name + " must be a number between " + min + " and " + max);
        }
    }

    void start(Context ctx) {
        var info = workspaces.startProcess(ctx.pathParam("id"), Json.body(ctx, ExecRequest.class));
        ctx.status(201).json(info);
    }

    void list(Context ctx) {
        ctx.json(workspaces.processList(ctx.pathParam("id")));
    }

    void get(Context ctx) {
        ctx.json(workspaces.process(ctx.pathParam("id"), pid(ctx)));
    }

    void stdin(Context ctx) throws IOException {
        workspaces.processStdin(ctx.pathParam("id"), pid(ctx), ctx.req().getInputStream(), "true".equals(ctx.queryParam("close")));
        ctx.status(204);
    }

    record Signal(String signal) {}

    void signal(Context ctx) {
        Signal s = Json.body(ctx, Signal.class);
        boolean delivered = workspaces.processSignal(ctx.pathParam("id"), pid(ctx), s.signal());
        ctx.json(Map.of("delivered", delivered));
    }

    void await(Context ctx) throws InterruptedException {
        long timeout = longParam(ctx, "timeoutMs", 300_000, 0, 3_600_000);
        var info = workspaces.processWait(ctx.pathParam("id"), pid(ctx), Duration.ofMillis(timeout));
        if (info.running()) {
            throw new CorralException(CorralException.Kind.TIMEOUT, "still_running", "process " + info.pid()
                    + " still runs after " + timeout + " ms");
        }
        ctx.json(Map.of("exitCode", info.exitCode()));
    }

    void output(Context ctx) {
        long after = longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
        var chunk = workspaces.processOutput(ctx.pathParam("id"), pid(ctx), after, MAX_OUTPUT_CHUNK);
        var info = workspaces.process(ctx.pathParam("id"), pid(ctx));
        ctx.header("X-Output-From", String.valueOf(chunk.from()));
        ctx.header("X-Output-To", String.valueOf(chunk.to()));
        ctx.header("X-Process-Running", String.valueOf(info.running()));
        ctx.contentType("application/octet-stream").result(chunk.bytes());
    }
}
