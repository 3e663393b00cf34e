package dev.corral.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.pty.TerminalSize;

/**
 * The JSON text frames of the terminal WebSocket (SPEC §4): client {@code {"type":"resize","cols","rows"}};
 * server {@code {"type":"replay","from","to"}} and {@code {"type":"exit","code"}}.
 */
final class TerminalControl {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A client frame that is not a valid control message. The message says why, fit for a close reason. */
    static final class BadFrame extends Exception {
        BadFrame(String message) {
            super(message);
        }
    }

    private TerminalControl() {
    }

    static String replay(long from, long to) {
        return "{\"type\":\"replay\",\"from\":" + from + ",\"to\":" + to + "}";
    }

    static String exit(int code) {
        return "{\"type\":\"exit\",\"code\":" + code + "}";
    }

    /** Parses a client control frame; today the only one is resize, so this returns the requested size. */
    static TerminalSize parseResize(String text) throws BadFrame {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (Exception e) {
            throw new BadFrame("not JSON");
        }
        if (node == null || !node.isObject()) {
            throw new BadFrame("not a JSON object");
        }
        var type = node.path("type");
        if (!type.isTextual()) {
            throw new BadFrame("missing \"type\"");
        }
        if (!type.asText().equals("resize")) {
            throw new BadFrame("unknown type \"" + abbreviate(type.asText()) + "\"");
        }
        var cols = node.path("cols");
        var rows = node.path("rows");
        if (!cols.canConvertToInt() || !cols.isIntegralNumber() || !rows.canConvertToInt() || !rows.isIntegralNumber()) {
            throw new BadFrame("resize needs integer \"cols\" and \"rows\"");
        }
        try {
            return TerminalSize.of(cols.intValue(), rows.intValue());
        } catch (RuntimeException e) {
            throw new BadFrame(e.getMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 20 ? s : s.substring(0, 20) + "…";
    }
}
