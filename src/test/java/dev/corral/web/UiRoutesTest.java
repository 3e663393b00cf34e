package dev.corral.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Serving the UI: the page, its assets, and the token page load that sets the cookie (SPEC §4, §6). */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class UiRoutesTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    static TestDaemon daemon;
    static final HttpClient http = HttpClient.newHttpClient(); // follows no redirects

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    static void start() {
        daemon = TestDaemon.start(tmp.resolve("home"));
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    static HttpResponse<String> get(String path, String cookie) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(daemon.url() + path));
        if (cookie != null) b.header("Cookie", cookie);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pageAndAssetsAreServedFromTheJar() throws Exception {
        var page = get("/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        var asset = Pattern.compile("/assets/[\\w.-]+\\.js").matcher(page.body());
        assertThat(asset.find()).as(page.body()).isTrue();
        var js = get(asset.group(), null);
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
        assertThat(js.headers().firstValue("Cache-Control").orElse("")).contains("immutable");
        assertThat(get("/assets/nope.js", null).statusCode()).isEqualTo(404);
        assertThat(get("/favicon.svg", null).statusCode()).isEqualTo(200);
    }

    @Test
    void tokenPageLoadSetsAnHttpOnlyCookieAndDropsTheTokenFromTheAddress() throws Exception {
        var r = get("/?token=" + daemon.token(), null);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/");
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith("corral_token=").contains("HttpOnly").contains("SameSite=Strict");
        String pair = cookie.substring(0, cookie.indexOf(';'));
        assertThat(get("/api/v1/workspaces", pair).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/workspaces", null).statusCode()).isEqualTo(401);
    }

    @Test
    void wrongTokenSetsNoCookie() throws Exception {
        var r = get("/?token=wrong", null);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(new Api(daemon.url(), "wrong").get("/api/v1/workspaces").status()).isEqualTo(401);
    }
}
