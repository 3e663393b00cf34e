package dev.corral.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The web UI (SPEC §6): the files built from {@code web/} into the jar under {@value #ROOT}, served at {@code /}.
 *
 * <p>{@code GET /?token=T} with the right token sets the HttpOnly cookie ({@link TokenAuth#acceptPageToken}) and
 * redirects to {@code /}, so the token does not stay in the address bar or the history. The pages themselves are
 * public (they hold no data); everything they load goes through the authenticated API.
 */
final class UiRoutes {
    static final String ROOT = "/dev/corral/web/";
    private static final Map<String, String> TYPES = Map.of(
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "html", "text/html; charset=utf-8", "svg", "image/svg+xml", "png", "image/png",
            "ico", "image/x-icon", "json", "application/json", "woff2", "font/woff2");

    private final TokenAuth auth;

    UiRoutes(TokenAuth auth) {
        this.auth = auth;
    }

    void mount(Javalin app) {
        app.get("/", this::index);
        app.get("/assets/<file>", ctx -> file(ctx, "assets/" + ctx.pathParam("file"), true));
        app.get("/favicon.svg", ctx -> file(ctx, "favicon.svg", false));
    }

    private void index(Context ctx) throws IOException {
        if (ctx.queryParam("token") != null) {
            // A wrong token still goes to the page, which then asks for one.
            auth.acceptPageToken(ctx);
            ctx.header("Cache-Control", "no-store").redirect("/", HttpStatus.SEE_OTHER);
            return;
        }
        file(ctx, "index.html", false);
    }

    private static void file(Context ctx, String name, boolean immutable) throws IOException {
        if (name.contains("..")) throw dev.corral.CorralException.badRequest("invalid_path", "bad path");
        byte[] bytes;
        try (InputStream in = UiRoutes.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                ctx.status(404).contentType("text/plain").result(name.equals("index.html")
                        ? "the web UI is not in this build (web/ is built by `./mvnw package`)" : "not found");
                return;
            }
            bytes = in.readAllBytes();
        }
        String ext = name.substring(name.lastIndexOf('.') + 1);
        ctx.contentType(TYPES.getOrDefault(ext, "application/octet-stream"));
        // Vite names assets by content hash; the page itself must always be fresh.
        ctx.header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.result(bytes);
    }
}
