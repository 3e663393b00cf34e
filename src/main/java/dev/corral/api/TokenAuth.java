package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.auth.ApiToken;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;

/**
 * Checks the API token on every {@code /api/**} request: {@code Authorization: Bearer <token>}, the HttpOnly cookie
 * set by the UI's first page load, or {@code ?token=} on WebSocket upgrades.
 */
final class TokenAuth {
    static final String COOKIE = "corral_token";

    private final ApiToken token;

    TokenAuth(ApiToken token) {
        this.token = token;
    }

    void check(Context ctx) {
        String header = ctx.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            if (token.matches(header.substring(7).trim())) return;
            throw unauthorized();
        }
        if (token.matches(ctx.cookie(COOKIE))) return;
        if (isUpgrade(ctx) && token.matches(ctx.queryParam("token"))) return;
        throw unauthorized();
    }

    /** On a page load with {@code ?token=}: sets the HttpOnly cookie when the token is right. */
    boolean acceptPageToken(Context ctx) {
        String t = ctx.queryParam("token");
        if (t == null || !token.matches(t)) return false;
        var cookie = new Cookie(COOKIE, t);
        cookie.setHttpOnly(true);
        cookie.setPath("/");
        cookie.setSameSite(SameSite.STRICT);
        ctx.cookie(cookie);
        return true;
    }

    private static boolean isUpgrade(Context ctx) {
        return "websocket".equalsIgnoreCase(ctx.header("Upgrade"));
    }

    private static CorralException unauthorized() {
        return new CorralException(CorralException.Kind.UNAUTHORIZED, "unauthorized",
                "missing or wrong API token (Authorization: Bearer <token>; see `corral token`)");
    }
}
