package dev.corral.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One request the {@link FakeModelServer} received. Header names are lower case. */
public record RecordedRequest(String method, String path, String query, Map<String, List<String>> headers, String body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public String header(String name) {
        List<String> v = headers.get(name.toLowerCase());
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    /** The body parsed as JSON; an empty object for an empty body. */
    public JsonNode json() {
        try {
            return body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Names of the tools the request offers the model, whichever provider format it uses
     * (OpenAI chat {@code tools[].function.name}, Responses {@code tools[].name}, Anthropic {@code tools[].name},
     * Gemini {@code tools[].functionDeclarations[].name}).
     */
    public List<String> toolNames() {
        List<String> names = new ArrayList<>();
        for (JsonNode t : json().path("tools")) {
            if (t.has("function")) names.add(t.path("function").path("name").asText());
            else if (t.has("name")) names.add(t.path("name").asText());
            for (JsonNode f : t.path("functionDeclarations")) names.add(f.path("name").asText());
        }
        return names;
    }

    @Override
    public String toString() {
        return method + " " + path + (query == null ? "" : "?" + query) + " (" + body.length() + " bytes)";
    }
}
