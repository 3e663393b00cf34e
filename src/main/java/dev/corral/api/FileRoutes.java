package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.workspace.WorkspaceFiles;
import dev.corral.workspace.WorkspaceService;
import io.javalin.http.Context;
import java.util.Map;

/** The files API; paths are relative to /workspace and confined to it. */
final class FileRoutes {
    private final WorkspaceService workspaces;

    FileRoutes(WorkspaceService workspaces) {
        this.workspaces = workspaces;
    }

    private static String path(Context ctx) {
        return ctx.pathParamMap().getOrDefault("path", "");
    }

    void read(Context ctx) {
        WorkspaceFiles files = workspaces.files(ctx.pathParam("id"));
        String path = path(ctx);
        if (files.isDirectory(path)) {
            ctx.json(Map.of("entries", files.list(path, "true".equals(ctx.queryParam("recursive")))));
        } else {
            ctx.contentType("application/octet-stream");
            ctx.header("Content-Length", String.valueOf(files.size(path)));
            ctx.result(files.open(path));
        }
    }

    void write(Context ctx) {
        long n = workspaces.files(ctx.pathParam("id")).write(path(ctx), bodyStream(ctx));
        ctx.json(Map.of("path", path(ctx), "size", n));
    }

    private static java.io.InputStream bodyStream(Context ctx) {
        try {
            return ctx.req().getInputStream();
        } catch (java.io.IOException e) {
            throw CorralException.badRequest("bad_body", "unreadable body");
        }
    }

    void delete(Context ctx) {
        workspaces.files(ctx.pathParam("id")).delete(path(ctx), "true".equals(ctx.queryParam("recursive")));
        ctx.status(204);
    }

    void stat(Context ctx) {
        ctx.json(workspaces.files(ctx.pathParam("id")).stat(path(ctx)));
    }

    record Move(String from, String to, Boolean overwrite) {}

    void move(Context ctx) {
        Move m = Json.body(ctx, Move.class);
        if (m.from() == null || m.to() == null) throw CorralException.badRequest("invalid_move", "\"from\" and \"to\" are required");
        workspaces.files(ctx.pathParam("id")).move(m.from(), m.to(), Boolean.TRUE.equals(m.overwrite()));
        ctx.json(Map.of("from", m.from(), "to", m.to()));
    }
}
