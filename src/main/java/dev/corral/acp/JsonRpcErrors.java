package dev.corral.acp;

/** JSON-RPC 2.0 error codes used by Corral, as defined by the spec and ACP. */
public final class JsonRpcErrors {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** ACP: the request was cancelled ({@code $/cancel_request}). */
    public static final int REQUEST_CANCELLED = -32800;

    private JsonRpcErrors() {}
}
