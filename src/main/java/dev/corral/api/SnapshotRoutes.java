package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.workspace.WorkspaceService;
import io.javalin.http.Context;

/** Snapshots: take, list, download, delete, and restore into the same workspace. */
final class SnapshotRoutes {
    private final WorkspaceService workspaces;

    SnapshotRoutes(WorkspaceService workspaces) {
        this.workspaces = workspaces;
    }

    void create(Context ctx) {
        ctx.status(201).json(workspaces.snapshot(ctx.pathParam("id")));
    }

    void list(Context ctx) {
        ctx.json(workspaces.snapshots(ctx.pathParam("id")));
    }

    record Restore(String snapshotId) {}

    void restore(Context ctx) {
        Restore r = Json.body(ctx, Restore.class);
        if (r.snapshotId() == null) throw CorralException.badRequest("invalid_snapshot", "\"snapshotId\" is required");
        ctx.json(workspaces.restore(ctx.pathParam("id"), r.snapshotId()));
    }

    void get(Context ctx) {
        ctx.json(workspaces.snapshotStore().get(ctx.pathParam("sid")));
    }

    void download(Context ctx) {
        var info = workspaces.snapshotStore().get(ctx.pathParam("sid"));
        ctx.contentType("application/gzip");
        ctx.header("Content-Disposition", "attachment; filename=\"" + info.snapshotId() + ".tar.gz\"");
        ctx.header("Content-Length", String.valueOf(info.sizeBytes()));
        ctx.header("X-Content-SHA256", info.sha256());
        ctx.result(workspaces.snapshotStore().open(info.snapshotId()));
    }

    void delete(Context ctx) {
        workspaces.snapshotStore().delete(ctx.pathParam("sid"));
        ctx.status(204);
    }
}
