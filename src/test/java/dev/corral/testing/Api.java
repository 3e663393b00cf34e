package dev.corral.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small real HTTP client of the daemon's API for tests. */
public final class Api {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Api(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** A response: status, raw body and the body parsed as JSON (null when it is not JSON). */
    public record Response(int status, byte[] body, JsonNode json, HttpResponse<byte[]> raw) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    public Response get(String path) {
        return send("GET", path, null, null);
    }

    public Response delete(String path) {
        return send("DELETE", path, null, null);
    }

    public Response post(String path, String json) {
        return send("POST", path, json == null ? null : json.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    public Response put(String path, byte[] bytes) {
        return send("PUT", path, bytes, "application/octet-stream");
    }

    public Response send(String method, String path, byte[] body, String contentType) {
        return send(method, path, body, contentType, token);
    }

    public Response send(String method, String path, byte[] body, String contentType, String withToken) {
        var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        if (withToken != null) b.header("Authorization", "Bearer " + withToken);
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = null;
            try {
                if (r.body().length > 0) json = JSON.readTree(r.body());
            } catch (IOException ignored) {
                // not JSON
            }
            return new Response(r.statusCode(), r.body(), json, r);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a workspace and waits until it is no longer creating; returns its record. */
    public JsonNode createRunning(String body) {
        Response r = post("/api/v1/workspaces", body);
        if (r.status() != 201) throw new AssertionError("create failed: " + r);
        String id = r.json().path("id").asText();
        JsonNode w = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> get("/api/v1/workspaces/" + id).json(), n -> !"creating".equals(n.path("state").asText()));
        if (!"running".equals(w.path("state").asText())) throw new AssertionError("workspace did not start: " + w);
        return w;
    }

    /** Runs a shell line in the workspace and returns the exec result JSON (asserting HTTP 200). */
    public JsonNode sh(String workspace, String line) {
        Response r = post("/api/v1/workspaces/" + workspace + "/exec", json("command", line));
        if (r.status() != 200) throw new AssertionError("exec failed: " + r);
        return r.json();
    }

    public static String json(Object... kv) {
        var node = JSON.createObjectNode();
        for (int i = 0; i < kv.length; i += 2) node.putPOJO((String) kv[i], kv[i + 1]);
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
