package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * What a session does with the agent's {@code session/request_permission}: hold it for a viewer ({@link #ASK}),
 * or answer at once with the first option of a fitting kind. Either way both the request and the answer are events.
 */
public enum PermissionPolicy {
    /** Hold every request until a viewer answers it through the API. */
    ASK("ask", null),
    /** Allow requests for tools that only read ({@code read}, {@code search}, {@code fetch}, {@code think}); ask for the rest. */
    ALLOW_READS("allow-reads", new String[] {"allow_once", "allow_always"}),
    /** Allow every request once (falling back to "always" when the agent offers no "once"). */
    ALLOW_ALL("allow-all", new String[] {"allow_once", "allow_always"}),
    /** Reject every request once. */
    DENY_ALL("deny-all", new String[] {"reject_once", "reject_always"});

    private static final java.util.Set<String> READ_KINDS = java.util.Set.of("read", "search", "fetch", "think");

    private final String wire;
    private final String[] kinds;

    PermissionPolicy(String wire, String[] kinds) {
        this.wire = wire;
        this.kinds = kinds;
    }

    public String wire() {
        return wire;
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static PermissionPolicy parse(String s) {
        if (s == null) return ASK;
        for (PermissionPolicy p : values()) {
            if (p.wire.equals(s.toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("permissionPolicy must be ask, allow-reads, allow-all or deny-all (got \"" + s + "\")");
    }

    /** The option this policy picks for ACP {@code session/request_permission} params, or null to ask a viewer. */
    String choose(JsonNode params) {
        if (kinds == null) return null;
        if (this == ALLOW_READS && !READ_KINDS.contains(params.path("toolCall").path("kind").asText())) return null;
        JsonNode options = params.path("options");
        for (String kind : kinds) {
            for (JsonNode o : options) {
                if (kind.equals(o.path("kind").asText())) return o.path("optionId").asText();
            }
        }
        return null;
    }
}
