package dev.corral.acp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Works on JSON text without re-serialising it, so what an agent sent reaches the transcript and the viewers
 * byte for byte: numbers keep their spelling, escapes stay escaped, unknown fields stay where they were.
 */
public final class RawJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private RawJson() {}

    /**
     * The exact text of a top-level member's value of a JSON object, e.g. the {@code params} of a message.
     *
     * @return empty if the member is absent
     * @throws IllegalArgumentException if {@code object} is not a JSON object
     */
    public static Optional<String> member(String object, String name) {
        try (JsonParser p = FACTORY.createParser(object)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean wanted = name.equals(p.currentName());
                p.nextToken();
                int start = (int) p.currentTokenLocation().getCharOffset();
                p.skipChildren();
                if (wanted) {
                    p.finishToken(); // string values are read lazily; their end is known only after this
                    int end = (int) p.currentLocation().getCharOffset();
                    return Optional.of(object.substring(start, end));
                }
            }
            return Optional.empty();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads one line as a JSON-RPC notification without building a tree: its {@code method} and the exact text of
     * its {@code params} ({@link JsonRpcMessage.Notification#params()} parses them if someone asks). Everything is
     * still read, so the line is known to be exactly one well-formed JSON object.
     *
     * @return null if the line is anything else (a request, an answer, not JSON-RPC, not JSON): the caller then
     *     parses it fully and reports what is wrong with it
     */
    static JsonRpcMessage.Notification notification(String line) {
        try (JsonParser p = FACTORY.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String method = null;
            String params = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "method" -> {
                        if (value != JsonToken.VALUE_STRING) return null;
                        method = p.getText();
                    }
                    case "params" -> {
                        int start = (int) p.currentTokenLocation().getCharOffset();
                        p.skipChildren();
                        p.finishToken();
                        params = line.substring(start, (int) p.currentLocation().getCharOffset());
                    }
                    case "id", "result", "error" -> {
                        return null;
                    }
                    default -> p.skipChildren();
                }
            }
            if (method == null || p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            return new JsonRpcMessage.Notification(method, null, line, Optional.ofNullable(params));
        } catch (IOException e) {
            return null; // not JSON (JsonProcessingException); a String source has no other I/O
        }
    }

    /**
     * The object with one member put first, the rest of its text unchanged: {@code {"requestId":7,...rest}}.
     * Does not check for an existing member of that name.
     *
     * @throws IllegalArgumentException if {@code object} is not a JSON object
     */
    public static String withLeadingMember(String object, String name, JsonNode value) {
        int open = skipSpace(object, 0);
        if (open >= object.length() || object.charAt(open) != '{') {
            throw new IllegalArgumentException("not a JSON object");
        }
        int next = skipSpace(object, open + 1);
        boolean empty = next < object.length() && object.charAt(next) == '}';
        String member;
        try {
            member = JsonRpcConnection.JSON.writeValueAsString(name) + ":" + JsonRpcConnection.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
        return "{" + member + (empty ? "" : ",") + object.substring(open + 1);
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) {
            i++;
        }
        return i;
    }
}
