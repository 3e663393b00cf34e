package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.auth.ApiToken;
import dev.corral.auth.JwtVerifier;
import dev.corral.auth.Principal;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Authenticates and authorises every {@code /api/**} request and WebSocket upgrade.
 *
 * <p>Credentials: the local token (as {@code Authorization: Bearer}, the UI's HttpOnly cookie, or {@code ?token=} on
 * WebSocket upgrades), or — when JWT mode is configured — a JWT verified by {@link JwtVerifier} in the same places.
 * Scope: a JWT's {@code workspaces} claim limits which workspaces (and their sessions) it may touch; creating
 * workspaces, credentials and agent installs need {@code "*"}. WebSocket upgrades from a browser must come from an
 * allowed Origin. Exec and prompt requests count against per-caller rate limits. The caller is left in the context's
 * {@value #PRINCIPAL} attribute.
 */
final class TokenAuth {
    static final String COOKIE = "corral_token";
    static final String PRINCIPAL = "corral.principal";

    private final ApiToken token;
    private final JwtVerifier jwt;
    private final List<String> allowedOrigins;
    private final RateLimits limits;
    private final Function<String, String> workspaceId;
    private volatile Function<String, Optional<String>> sessionWorkspace = sid -> Optional.empty();

    /**
     * @param jwt            null when JWT mode is off
     * @param allowedOrigins extra origins allowed to open WebSockets (the daemon's own origin always is)
     * @param workspaceId    maps a workspace id or name to its id (unknown ones map to themselves)
     */
    TokenAuth(ApiToken token, JwtVerifier jwt, List<String> allowedOrigins, RateLimits limits,
              Function<String, String> workspaceId) {
        this.token = token;
        this.jwt = jwt;
        this.allowedOrigins = List.copyOf(allowedOrigins);
        this.limits = limits;
        this.workspaceId = workspaceId;
    }

    TokenAuth(ApiToken token) {
        this(token, null, List.of(), new RateLimits(0, 0), id -> id);
    }

    /** How to find the workspace of a session, for scoping {@code /api/v1/sessions/**}. */
    void setSessionWorkspace(Function<String, Optional<String>> lookup) {
        this.sessionWorkspace = lookup;
    }

    void check(Context ctx) {
        boolean upgrade = "websocket".equalsIgnoreCase(ctx.header("Upgrade"));
        if (upgrade) checkOrigin(ctx);
        Principal p = authenticate(ctx, upgrade);
        ctx.attribute(PRINCIPAL, p);
        authorize(ctx, p);
        if ("POST".equals(ctx.method().name())) {
            String path = ctx.path();
            if (path.endsWith("/exec")) limits.take(p.rateKey(), "exec");
            else if (path.endsWith("/prompt")) limits.take(p.rateKey(), "prompt");
        }
    }

    static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        return p != null ? p : Principal.local();
    }

    private Principal authenticate(Context ctx, boolean upgrade) {
        String presented = null;
        String header = ctx.header("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) presented = header.substring(7).trim();
        else if (ctx.cookie(COOKIE) != null) presented = ctx.cookie(COOKIE);
        else if (upgrade) presented = ctx.queryParam("token");
        if (presented == null || presented.isEmpty()) throw unauthorized("missing API token");
        if (token.matches(presented)) return Principal.local();
        if (jwt != null && JwtVerifier.looksLikeJwt(presented)) return jwt.verify(presented);
        throw unauthorized("wrong API token");
    }

    private void authorize(Context ctx, Principal p) {
        if (p.all()) return;
        String[] parts = ctx.path().split("/");
        // /api/v1/<collection>/<id>/...
        String collection = parts.length > 3 ? parts[3] : "";
        String id = parts.length > 4 ? parts[4] : "";
        switch (collection) {
            case "workspaces" -> {
                if (id.isEmpty()) {
                    if (!"GET".equals(ctx.method().name())) throw forbidden("this token may not create workspaces");
                } else if (!p.mayUse(workspaceId.apply(id))) {
                    throw forbidden("this token may not use workspace " + id);
                }
            }
            case "sessions" -> {
                Optional<String> ws = id.isEmpty() ? Optional.empty() : sessionWorkspace.apply(id);
                if (ws.isEmpty() || !p.mayUse(ws.get())) throw forbidden("this token may not use session " + id);
            }
            case "openapi.json" -> { }
            default -> throw forbidden("this token is limited to its workspaces");
        }
    }

    private void checkOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) return; // not a browser
        String host = ctx.header("Host");
        try {
            URI o = URI.create(origin);
            String hostPort = o.getHost() + (o.getPort() > 0 ? ":" + o.getPort() : "");
            if (host != null && host.equalsIgnoreCase(hostPort)) return;
        } catch (IllegalArgumentException e) {
            throw forbidden("malformed Origin header");
        }
        if (allowedOrigins.contains(origin)) return;
        throw forbidden("WebSocket from origin " + origin + " is not allowed (CORRAL_ALLOWED_ORIGINS)");
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

    private static CorralException unauthorized(String why) {
        return new CorralException(CorralException.Kind.UNAUTHORIZED, "unauthorized",
                why + " (Authorization: Bearer <token>; see `corral token`)");
    }

    private static CorralException forbidden(String why) {
        return new CorralException(CorralException.Kind.FORBIDDEN, "forbidden", why);
    }
}
