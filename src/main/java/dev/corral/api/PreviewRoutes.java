package dev.corral.api;

import dev.corral.preview.PortRelays;
import dev.corral.preview.Previews;
import dev.corral.preview.SandboxFetch;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/** Previews, listening ports and fetch (SPEC §4 "Previews"): parse, call, render; plus the public preview path. */
public final class PreviewRoutes {
    record CreateBody(Integer port, Long expiresInSeconds) {}

    private final Previews previews;
    private final PortRelays relays;
    private final SandboxFetch fetch;

    private PreviewRoutes(Previews previews, PortRelays relays, SandboxFetch fetch) {
        this.previews = previews;
        this.relays = relays;
        this.fetch = fetch;
    }

    /** Registers the API routes and the token-free {@code /preview/*} proxy on {@code app} (before it starts). */
    public static void mount(Javalin app, Previews previews, PortRelays relays) {
        var r = new PreviewRoutes(previews, relays, new SandboxFetch(relays));
        app.post("/api/v1/workspaces/{id}/previews", r::create);
        app.get("/api/v1/workspaces/{id}/previews", r::list);
        app.delete("/api/v1/workspaces/{id}/previews/{pid}", r::revoke);
        app.get("/api/v1/workspaces/{id}/ports", r::ports);
        app.post("/api/v1/workspaces/{id}/fetch", r::fetch);

        // The preview path carries its own credential (the signature) and is outside /api, so no token is asked.
        var proxy = new PreviewProxy(previews, relays);
        for (String m : PreviewProxy.methods()) app.addHttpHandler(HandlerType.valueOf(m), "/preview/*", proxy::handle);
        app.wsBeforeUpgrade("/preview/*", proxy::target);
        app.ws("/preview/*", new PreviewSocket(previews, relays).config());
    }

    void create(Context ctx) {
        var body = Json.body(ctx, CreateBody.class);
        ctx.status(201).json(previews.create(ctx.pathParam("id"), body.port(), body.expiresInSeconds(), base(ctx)));
    }

    void list(Context ctx) {
        ctx.json(previews.list(ctx.pathParam("id"), base(ctx)));
    }

    void revoke(Context ctx) {
        previews.revoke(ctx.pathParam("id"), ctx.pathParam("pid"));
        ctx.status(204);
    }

    void ports(Context ctx) {
        ctx.json(relays.listening(ctx.pathParam("id")));
    }

    void fetch(Context ctx) {
        ctx.json(fetch.fetch(ctx.pathParam("id"), Json.body(ctx, SandboxFetch.Request.class)));
    }

    /** Scheme and authority the caller used, so the preview URL works from where it was asked. */
    private static String base(Context ctx) {
        return ctx.scheme() + "://" + ctx.host();
    }
}
