package dev.corral;

/**
 * Base of every domain exception. Unchecked; carries a stable machine-readable {@link #code()} and a
 * {@link Kind} that the API maps to an HTTP status and the CLI to an exit code, each in one place.
 * Messages are shown to users: they say what went wrong and never contain secrets.
 */
public class CorralException extends RuntimeException {

    /** What sort of failure this is, independent of transport. */
    public enum Kind { BAD_REQUEST, NOT_FOUND, CONFLICT, UNAUTHORIZED, FORBIDDEN, TOO_LARGE, TOO_MANY, UNAVAILABLE, TIMEOUT, INTERNAL }

    private final Kind kind;
    private final String code;

    public CorralException(Kind kind, String code, String message) {
        this(kind, code, message, null);
    }

    public CorralException(Kind kind, String code, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.code = code;
    }

    public Kind kind() { return kind; }

    public String code() { return code; }

    public static CorralException badRequest(String code, String message) {
        return new CorralException(Kind.BAD_REQUEST, code, message);
    }

    public static CorralException notFound(String what, String id) {
        return new CorralException(Kind.NOT_FOUND, "not_found", what + " not found: " + id);
    }

    public static CorralException conflict(String code, String message) {
        return new CorralException(Kind.CONFLICT, code, message);
    }
}
