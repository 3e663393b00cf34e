package dev.corral.api;

import dev.corral.cron.CronJob;
import dev.corral.cron.CronScheduler;
import io.javalin.Javalin;
import io.javalin.http.Context;

/** Cron jobs of a workspace (SPEC §4 "cron"): parse, call {@link CronScheduler}, render. */
public final class CronRoutes {
    private final CronScheduler cron;

    private CronRoutes(CronScheduler cron) {
        this.cron = cron;
    }

    /** Registers the cron routes on {@code app} (before it starts). */
    public static void mount(Javalin app, CronScheduler cron) {
        var r = new CronRoutes(cron);
        app.post("/api/v1/workspaces/{id}/cron", r::create);
        app.get("/api/v1/workspaces/{id}/cron", r::list);
        app.get("/api/v1/workspaces/{id}/cron/{cid}", r::get);
        app.delete("/api/v1/workspaces/{id}/cron/{cid}", r::delete);
        app.get("/api/v1/workspaces/{id}/cron/{cid}/runs", r::runs);
    }

    void create(Context ctx) {
        ctx.status(201).json(cron.create(ctx.pathParam("id"), Json.body(ctx, CronJob.Create.class)));
    }

    void list(Context ctx) {
        ctx.json(cron.list(ctx.pathParam("id")));
    }

    void get(Context ctx) {
        ctx.json(cron.get(ctx.pathParam("id"), ctx.pathParam("cid")));
    }

    void delete(Context ctx) {
        cron.delete(ctx.pathParam("id"), ctx.pathParam("cid"));
        ctx.status(204);
    }

    void runs(Context ctx) {
        int limit;
        try {
            limit = Integer.parseInt(ctx.queryParamAsClass("limit", String.class).getOrDefault("100"));
        } catch (NumberFormatException e) {
            throw dev.corral.CorralException.badRequest("invalid_limit", "limit must be a number");
        }
        ctx.json(cron.runs(ctx.pathParam("id"), ctx.pathParam("cid"), limit));
    }
}
