package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.auth.ApiToken;
import dev.corral.config.CorralConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The CLI's client of the daemon's API. Errors become {@link CliException} with the daemon's message. */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiClient(String base, String token) {
        this.base = base.replaceAll("/+$", "");
        this.token = token;
    }

    /** From CORRAL_URL / CORRAL_PORT and CORRAL_TOKEN or the token file in the home. */
    static ApiClient fromEnvironment(String url, Path home) {
        Map<String, String> env = System.getenv();
        String base = url != null ? url : env.get("CORRAL_URL");
        if (base == null) base = "http://127.0.0.1:" + env.getOrDefault("CORRAL_PORT", String.valueOf(CorralConfig.DEFAULT_PORT));
        Path h = home != null ? home : CorralConfig.defaultHome(env);
        String token = env.get("CORRAL_TOKEN");
        if (token == null) token = ApiToken.read(h);
        return new ApiClient(base, token);
    }

    String base() {
        return base;
    }

    String token() {
        return token;
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    JsonNode send(String method, String path, Object body) {
        try {
            var b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(30));
            if (token != null) b.header("Authorization", "Bearer " + token);
            if (body != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? JSON.nullNode() : parse(r.body());
            if (r.statusCode() >= 400) {
                String msg = json.path("error").asText("HTTP " + r.statusCode());
                throw new CliException(msg + (r.statusCode() == 401 && token == null ? " (no token found: run on the daemon's host or set CORRAL_TOKEN)" : ""));
            }
            return json;
        } catch (ConnectException e) {
            throw new CliException("no Corral daemon answers at " + base + "; start one with `corral serve`");
        } catch (IOException e) {
            throw new CliException("cannot reach the daemon at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(new String(body));
        }
    }
}
