package dev.corral.api;

import dev.corral.CorralException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps exceptions to JSON errors {@code {"error","code"}} with a fitting status, in one place. */
final class ErrorMapping {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {}

    static int status(CorralException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> 400;
            case UNAUTHORIZED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case TOO_MANY -> 429;
            case TIMEOUT -> 504;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
    }

    static void install(Javalin app) {
        app.exception(CorralException.class, (e, ctx) -> {
            if (e.kind() == CorralException.Kind.INTERNAL) log.error("{} {} failed: {}", ctx.method(), ctx.path(), e.getMessage(), e);
            write(ctx, status(e.kind()), e.code(), e.getMessage());
        });
        app.exception(HttpResponseException.class, (e, ctx) -> {
            String code = switch (e.getStatus()) {
                case 413 -> "too_large";
                case 404 -> "not_found";
                case 405 -> "method_not_allowed";
                default -> "http_" + e.getStatus();
            };
            write(ctx, e.getStatus(), code, e.getMessage());
        });
        app.exception(IllegalArgumentException.class, (e, ctx) -> write(ctx, 400, "invalid_value", e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} failed", ctx.method(), ctx.path(), e);
            write(ctx, 500, "internal", "internal error; see the daemon log");
        });
        app.error(404, ctx -> {
            if (ctx.resultInputStream() == null && !ctx.res().isCommitted()) write(ctx, 404, "not_found", "no such route: " + ctx.method() + " " + ctx.path());
        });
        app.error(405, ctx -> {
            if (ctx.resultInputStream() == null && !ctx.res().isCommitted()) write(ctx, 405, "method_not_allowed", "method not allowed: " + ctx.method() + " " + ctx.path());
        });
    }

    static void write(Context ctx, int status, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message == null ? code : message);
        body.put("code", code);
        ctx.status(status).json(body);
    }
}
