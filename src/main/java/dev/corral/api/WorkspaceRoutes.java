package dev.corral.api;

import dev.corral.workspace.CreateWorkspace;
import dev.corral.workspace.ExecRequest;
import dev.corral.workspace.WorkspaceService;
import io.javalin.http.Context;

/** Workspaces and exec: parse, call, render. */
final class WorkspaceRoutes {
    private final WorkspaceService workspaces;

    WorkspaceRoutes(WorkspaceService workspaces) {
        this.workspaces = workspaces;
    }

    void create(Context ctx) {
        ctx.status(201).json(workspaces.create(Json.body(ctx, CreateWorkspace.class)));
    }

    void list(Context ctx) {
        var caller = TokenAuth.principal(ctx);
        ctx.json(workspaces.list().stream().filter(w -> caller.mayUse(w.id())).toList());
    }

    void get(Context ctx) {
        ctx.json(workspaces.describe(ctx.pathParam("id")));
    }

    void stop(Context ctx) {
        ctx.json(workspaces.stop(ctx.pathParam("id")));
    }

    void resume(Context ctx) {
        ctx.json(workspaces.resume(ctx.pathParam("id")));
    }

    void delete(Context ctx) {
        workspaces.delete(ctx.pathParam("id"));
        ctx.status(204);
    }

    void exec(Context ctx) {
        ctx.json(workspaces.exec(ctx.pathParam("id"), Json.body(ctx, ExecRequest.class)));
    }
}
