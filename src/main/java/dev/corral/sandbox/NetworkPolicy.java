package dev.corral.sandbox;

import java.util.List;

/**
 * How a sandbox reaches the network.
 *
 * @param mode    {@link Mode#NONE}: a private network namespace with loopback only; {@link Mode#HOST}: the host's network
 *                (explicit opt-in); {@link Mode#PROXY}: loopback only plus an allow-listing egress proxy
 * @param allow   extra hosts the egress proxy lets through (proxy mode)
 * @param forward host TCP endpoints made reachable on the sandbox's own loopback at the same port, through a relay
 * @param note    why the daemon chose this mode when the request named none (the agent-workspace default or an
 *                agent's fallback); null when the client chose it
 */
public record NetworkPolicy(Mode mode, List<String> allow, List<Endpoint> forward,
                            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                            String note) {

    public enum Mode {
        NONE, PROXY, HOST;

        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Mode fromWire(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** A host TCP endpoint, {@code host:port}. */
    public record Endpoint(String host, int port) {
        public Endpoint {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
        }

        /** Parses {@code host:port} (an IPv6 host in brackets); throws IllegalArgumentException with a clear message. */
        @com.fasterxml.jackson.annotation.JsonCreator
        public static Endpoint parse(String text) {
            int colon = text == null ? -1 : text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException("forward endpoint must be host:port, got '" + text + "'");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            try {
                return new Endpoint(host, Integer.parseInt(text.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("forward endpoint must be host:port, got '" + text + "'");
            }
        }

        @Override
        @com.fasterxml.jackson.annotation.JsonValue
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public static final NetworkPolicy NONE = new NetworkPolicy(Mode.NONE, List.of(), List.of());

    public NetworkPolicy(Mode mode, List<String> allow, List<Endpoint> forward) {
        this(mode, allow, forward, null);
    }

    public NetworkPolicy {
        allow = allow == null ? List.of() : List.copyOf(allow);
        forward = forward == null ? List.of() : List.copyOf(forward);
        if (mode == null) mode = Mode.NONE;
    }
}
