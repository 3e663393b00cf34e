package dev.corral.auth;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** JWT mode: tokens verified against a JWKS, scoped to workspaces, rate limited. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class JwtAuthTest implements DaemonLogOnFailure.HasDaemon {
    static final String ISS = "https://control-plane.test";
    static final String AUD = "corral";

    @TempDir
    static Path tmp;

    TestDaemon daemon;
    HttpServer jwksServer;
    final AtomicReference<String> jwks = new AtomicReference<>();
    RSAKey key1;
    RSAKey key2;
    String a;
    String b;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        key1 = new RSAKeyGenerator(2048).keyID("k1").generate();
        key2 = new RSAKeyGenerator(2048).keyID("k2").generate();
        jwks.set(new JWKSet(key1.toPublicJWK()).toString());
        jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwksServer.createContext("/jwks.json", ex -> {
            byte[] body = jwks.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        jwksServer.start();
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of(
                "CORRAL_JWT_JWKS_URL", "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json",
                "CORRAL_JWT_ISSUER", ISS, "CORRAL_JWT_AUDIENCE", AUD, "CORRAL_JWT_JWKS_MIN_REFRESH_SECONDS", "1",
                "CORRAL_RATE_EXEC_PER_MINUTE", "5"));
        a = daemon.api().createRunning(json("name", "ws-a")).path("id").asText();
        b = daemon.api().createRunning(json("name", "ws-b")).path("id").asText();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
        jwksServer.stop(0);
    }

    JWTClaimsSet.Builder claims(String sub, Object workspaces) {
        return new JWTClaimsSet.Builder().subject(sub).issuer(ISS).audience(AUD).issueTime(new Date())
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).claim("workspaces", workspaces);
    }

    String sign(RSAKey key, JWTClaimsSet c) throws Exception {
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), c);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    Api as(String token) {
        return new Api(daemon.url(), token);
    }

    @Test
    void tokenMatrix() throws Exception {
        record Case(String name, String token, int status) {}
        var hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims("mallory", List.of("*")).build());
        hs.sign(new MACSigner(key1.toRSAPublicKey().getEncoded()));
        List<Case> cases = List.of(
                new Case("valid", sign(key1, claims("alice", List.of(a)).build()), 200),
                new Case("expired", sign(key1, claims("alice", List.of(a)).expirationTime(Date.from(Instant.now().minusSeconds(600))).build()), 401),
                new Case("wrong audience", sign(key1, claims("alice", List.of(a)).audience("someone-else").build()), 401),
                new Case("wrong issuer", sign(key1, claims("alice", List.of(a)).issuer("https://evil.test").build()), 401),
                new Case("alg none", new PlainJWT(claims("mallory", List.of("*")).build()).serialize(), 401),
                new Case("HS256 with the public key", hs.serialize(), 401),
                new Case("unknown key", sign(key2, claims("alice", List.of(a)).build()), 401),
                new Case("garbage", "a.b.c", 401));
        for (Case c : cases) {
            var r = as(c.token()).get("/api/v1/workspaces/" + a);
            assertThat(r.status()).as(c.name() + ": " + r).isEqualTo(c.status());
            if (c.status() == 401) assertThat(r.json().path("code").asText()).isIn("invalid_token", "unauthorized");
        }
        // The issuer rotates its keys: a token with the new kid is accepted once the JWKS is fetched again.
        jwks.set(new JWKSet(List.of(key1.toPublicJWK(), key2.toPublicJWK())).toString());
        String rotated = sign(key2, claims("alice", List.of(a)).build());
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> as(rotated).get("/api/v1/workspaces/" + a).status() == 200);
        assertThat(daemon.logText()).doesNotContain(rotated);
    }

    @Test
    void scopedTokenCannotTouchAnotherWorkspace() throws Exception {
        Api alice = as(sign(key1, claims("alice", List.of(a)).build()));
        assertThat(alice.get("/api/v1/workspaces/" + a).status()).isEqualTo(200);
        assertThat(alice.sh(a, "echo mine").path("stdout").asText()).isEqualTo("mine\n");
        for (String[] route : new String[][] {{"GET", ""}, {"GET", "/files"}, {"GET", "/files/x.txt"}, {"PUT", "/files/x.txt"},
                {"GET", "/stat/x"}, {"POST", "/exec"}, {"POST", "/stop"}, {"POST", "/resume"}, {"DELETE", ""},
                {"GET", "/processes"}, {"POST", "/processes"}, {"POST", "/move"}, {"GET", "/terminals"}, {"POST", "/terminals"}}) {
            for (String target : List.of(b, "ws-b")) {
                var r = alice.send(route[0], "/api/v1/workspaces/" + target + route[1], "{}".getBytes(), "application/json");
                assertThat(r.status()).as(route[0] + " " + target + route[1]).isEqualTo(403);
            }
        }
        assertThat(alice.get("/api/v1/workspaces").json().findValuesAsText("id")).containsExactly(a);
        assertThat(alice.post("/api/v1/workspaces", json("name", "sneaky")).status()).isEqualTo(403);
        assertThat(alice.get("/api/v1/credentials").status()).isEqualTo(403);
        assertThat(daemon.api().get("/api/v1/workspaces/" + b).json().path("state").asText()).isEqualTo("running");
    }

    @Test
    void webSocketsAreScopedAndOriginChecked() throws Exception {
        String aliceToken = sign(key1, claims("alice", List.of(a)).build());
        var term = new dev.corral.testing.Api(daemon.url(), daemon.token())
                .post("/api/v1/workspaces/" + b + "/terminals", json("cols", 80, "rows", 24)).json().path("terminalId").asText();
        assertThat(upgrade("/api/v1/workspaces/" + b + "/terminals/" + term + "?token=" + aliceToken, null)).isEqualTo(403);
        assertThat(upgrade("/api/v1/logs/stream?token=" + aliceToken, null)).isEqualTo(403);
        assertThat(upgrade("/api/v1/sessions/anything/ws?token=" + aliceToken, null)).isEqualTo(403);
        // The daemon's own origin may open sockets; another site may not, even with the right token.
        String own = "http://127.0.0.1:" + daemon.port();
        assertThat(upgrade("/api/v1/logs/stream?token=" + daemon.token(), own)).isEqualTo(101);
        assertThat(upgrade("/api/v1/logs/stream?token=" + daemon.token(), "http://evil.example")).isEqualTo(403);
    }

    /** Sends a raw WebSocket upgrade request and returns the status code of the answer. */
    int upgrade(String pathAndQuery, String origin) throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", daemon.port())) {
            socket.setSoTimeout(10_000);
            String req = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + daemon.port() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + (origin != null ? "Origin: " + origin + "\r\n" : "") + "\r\n";
            socket.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void execIsRateLimitedPerCaller() throws Exception {
        Api bob = as(sign(key1, claims("bob", List.of(a)).build()));
        for (int i = 0; i < 5; i++) assertThat(bob.post("/api/v1/workspaces/" + a + "/exec", json("command", "true")).status()).isEqualTo(200);
        var r = bob.post("/api/v1/workspaces/" + a + "/exec", json("command", "true"));
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.json().path("code").asText()).isEqualTo("rate_limited");
        // Another caller has its own allowance.
        Api carol = as(sign(key1, claims("carol", List.of(a)).build()));
        assertThat(carol.post("/api/v1/workspaces/" + a + "/exec", json("command", "true")).status()).isEqualTo(200);
    }
}
