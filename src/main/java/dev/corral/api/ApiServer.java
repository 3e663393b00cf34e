package dev.corral.api;

import static io.javalin.apibuilder.ApiBuilder.delete;
import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.patch;
import static io.javalin.apibuilder.ApiBuilder.path;
import static io.javalin.apibuilder.ApiBuilder.post;
import static io.javalin.apibuilder.ApiBuilder.put;
import static io.javalin.apibuilder.ApiBuilder.ws;

import dev.corral.auth.ApiToken;
import dev.corral.auth.JwtVerifier;
import dev.corral.secrets.CredentialVault;
import dev.corral.workspace.Terminals;
import dev.corral.workspace.WorkspaceService;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The HTTP and WebSocket API (SPEC §4): routing, auth and error mapping. Handlers are thin. */
public final class ApiServer implements AutoCloseable {
    /** Largest JSON request body. */
    public static final long MAX_JSON_BODY = 1024 * 1024;

    private final Javalin app;
    private final TokenAuth auth;

    /** What the API serves; one record so adding a capability does not grow the constructor. */
    public record Services(ApiToken token, JwtVerifier jwt, WorkspaceService workspaces, CredentialVault credentials,
                           Terminals terminals, String sandboxBackend, String cgroups, Supplier<List<String>> warnings) {}

    public ApiServer(Services s) {
        auth = new TokenAuth(s.token(), s.jwt(), origins(System.getenv()), RateLimits.fromEnvironment(System.getenv()),
                id -> {
                    try {
                        return s.workspaces().get(id).id();
                    } catch (dev.corral.CorralException e) {
                        return id;
                    }
                });
        var health = new HealthRoutes(s.sandboxBackend(), s.cgroups(), s.warnings());
        var ws = new WorkspaceRoutes(s.workspaces());
        var files = new FileRoutes(s.workspaces());
        var procs = new ProcessRoutes(s.workspaces());
        var creds = new CredentialRoutes(s.credentials(), s.workspaces());
        var terms = new TerminalRoutes(s.terminals());
        var snaps = new SnapshotRoutes(s.workspaces());
        app = Javalin.create(cfg -> {
            cfg.useVirtualThreads = true;
            cfg.jetty.threadPool = jettyThreads();
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = MAX_JSON_BODY;
            cfg.jsonMapper(new JavalinJackson(Json.MAPPER, true));
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            cfg.jetty.modifyHttpConfiguration(http -> http.setSendServerVersion(false));
            // Frames sent in batch mode (session events, see SessionEventSocket) gather in a buffer of this size
            // before a write; Jetty's default of 4 KiB meant one write per ~13 events.
            cfg.jetty.modifyWebSocketServletFactory(factory -> factory.setOutputBufferSize(64 * 1024));
            cfg.router.apiBuilder(() -> {
                get("/health", health::health);
                get("/api/v1/openapi.json", ctx -> {
                    InputStream in = ApiServer.class.getResourceAsStream("openapi.json");
                    ctx.contentType("application/json").result(in);
                });
                path("/api/v1/credentials", () -> {
                    get(creds::list);
                    post("rotate", creds::rotate);
                    put("{agentId}", creds::put);
                    delete("{agentId}", creds::delete);
                });
                path("/api/v1/snapshots/{sid}", () -> {
                    get(snaps::get);
                    delete(snaps::delete);
                    get("download", snaps::download);
                });
                path("/api/v1/workspaces", () -> {
                    post(ws::create);
                    get(ws::list);
                    path("{id}", () -> {
                        get(ws::get);
                        delete(ws::delete);
                        post("stop", ws::stop);
                        post("resume", ws::resume);
                        post("exec", ws::exec);
                        get("files", files::read);
                        get("files/<path>", files::read);
                        put("files/<path>", files::write);
                        delete("files/<path>", files::delete);
                        get("stat/<path>", files::stat);
                        get("stat", files::stat);
                        post("move", files::move);
                        post("snapshots", snaps::create);
                        get("snapshots", snaps::list);
                        post("restore", snaps::restore);
                        post("processes", procs::start);
                        get("processes", procs::list);
                        get("processes/{pid}", procs::get);
                        post("processes/{pid}/stdin", procs::stdin);
                        post("processes/{pid}/signal", procs::signal);
                        get("processes/{pid}/wait", procs::await);
                        get("processes/{pid}/output", procs::output);
                        post("terminals", terms::create);
                        get("terminals", terms::list);
                        get("terminals/{tid}", terms::get);
                        patch("terminals/{tid}", terms::rename);
                        post("terminals/{tid}", terms::rename);
                        delete("terminals/{tid}", terms::delete);
                        ws("terminals/{tid}", terms.socket());
                    });
                });
            });
        });
        app.before("/api/*", ctx -> {
            if (!ctx.path().equals("/api/v1/openapi.json")) auth.check(ctx);
        });
        // WebSocket upgrades skip the HTTP before-handlers; an unauthenticated upgrade is answered 401.
        app.wsBeforeUpgrade("/api/*", auth::check);
        new UiRoutes(auth).mount(app);
        ErrorMapping.install(app);
    }

    /**
     * Jetty's selectors on platform threads and request handling (which blocks: exec, files, SQLite) on virtual ones.
     * Javalin's own virtual-thread pool runs the selectors as virtual threads too, which puts a hand-off between
     * carrier threads on every socket read: a terminal keystroke's echo took ~15-20% longer that way (bench/run
     * terminal 1 5000, paired runs).
     */
    private static QueuedThreadPool jettyThreads() {
        var pool = new QueuedThreadPool(200, 4, 60_000);
        pool.setName("http");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        return pool;
    }

    /** Errors Jetty answers itself (malformed requests, ambiguous URIs) in the same JSON shape. */
    private static final class JsonErrorHandler extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        public void handle(String target, org.eclipse.jetty.server.Request base, HttpServletRequest request,
                           HttpServletResponse response) throws java.io.IOException {
            int status = response.getStatus() >= 400 ? response.getStatus() : 400;
            response.setStatus(status);
            response.setContentType("application/json");
            response.getOutputStream().write(("{\"error\":\"the server refused this request (HTTP " + status
                    + ")\",\"code\":\"http_" + status + "\"}").getBytes(StandardCharsets.UTF_8));
            base.setHandled(true);
        }
    }

    private static List<String> origins(java.util.Map<String, String> env) {
        String v = env.getOrDefault("CORRAL_ALLOWED_ORIGINS", "");
        return java.util.Arrays.stream(v.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
    }

    /** Serves the daemon's own logs: {@code GET /api/v1/logs} and {@code WS /api/v1/logs/stream}. */
    public void serveLogs(dev.corral.logs.LogBuffer buffer) {
        var routes = new LogRoutes(buffer, LogRoutes.Settings.fromEnvironment(System.getenv()));
        app.get("/api/v1/logs", routes::list);
        app.ws("/api/v1/logs/stream", routes);
    }

    /** Serves {@code GET /metrics} (Prometheus text format; the API token is required). */
    public void serveMetrics(dev.corral.metrics.CorralMetrics metrics) {
        app.before("/metrics", auth::check);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    }

    /** How to find a session's workspace, so workspace-scoped tokens reach only their own sessions. */
    public void setSessionWorkspace(java.util.function.Function<String, java.util.Optional<String>> lookup) {
        auth.setSessionWorkspace(lookup);
    }

    public ApiServer start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    /** The underlying app, for capabilities that register their own routes (WebSockets). */
    public Javalin app() {
        return app;
    }

    @Override
    public void close() {
        app.stop();
    }
}
