package dev.corral;

import dev.corral.acp.EventLog;
import dev.corral.acp.SessionHost;
import dev.corral.agents.AgentInstaller;
import dev.corral.agents.AgentRegistry;
import dev.corral.api.ApiServer;
import dev.corral.api.SessionRoutes;
import dev.corral.auth.ApiToken;
import dev.corral.auth.JwtVerifier;
import dev.corral.config.CorralConfig;
import dev.corral.logs.LogBuffer;
import dev.corral.metrics.CorralMetrics;
import dev.corral.sandbox.BwrapBackend;
import dev.corral.secrets.CredentialVault;
import dev.corral.secrets.MasterKey;
import dev.corral.store.Database;
import dev.corral.pty.TerminalConfig;
import dev.corral.workspace.Terminals;
import dev.corral.workspace.WorkspaceService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: opens the store, makes the sandbox backend and services, and serves the API. */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final CorralConfig config;
    private final Database db;
    private final WorkspaceService workspaces;
    private final ApiServer api;
    private final ApiToken token;
    private EventLog events;
    private SessionHost sessions;
    private dev.corral.cron.CronScheduler cron;

    private Daemon(CorralConfig config, Database db, WorkspaceService workspaces, ApiServer api, ApiToken token) {
        this.config = config;
        this.db = db;
        this.workspaces = workspaces;
        this.api = api;
        this.token = token;
    }

    public static Daemon start(CorralConfig config) throws IOException {
        var logs = LogBuffer.install(10_000);
        Path home = config.home();
        Files.createDirectories(home);
        ApiToken token = ApiToken.loadOrCreate(home);
        Database db = Database.open(home.resolve("corral.db"));
        var backend = new BwrapBackend(home.resolve("sandbox"), "corral-" + shortHash(home.toString()), config.sandbox().startTimeout());
        List<String> problems = backend.problems();
        problems.forEach(p -> log.warn("sandbox: {}", p));
        if (backend.cgroupProblem() != null) log.warn("limits: {}", backend.cgroupProblem());
        var settings = new WorkspaceService.Settings(home, config.sandbox().limits(), config.files().maxFileBytes(),
                config.sandbox().processOutputBytes(), config.sandbox().cloneTimeout(), config.sandbox().execTimeout(),
                Long.parseLong(System.getenv().getOrDefault("CORRAL_SNAPSHOT_MAX_BYTES", String.valueOf(20L << 30))));
        var workspaces = new WorkspaceService(settings, db, backend);
        var vault = new CredentialVault(db, MasterKey.load(home, System.getenv()));
        workspaces.setVault(vault);
        var registry = AgentRegistry.load(home);
        workspaces.setAgentNetwork(agent -> registry.find(agent)
                .map(e -> new WorkspaceService.AgentNetwork(e.corral().egress(), e.corral().honoursProxy())));
        workspaces.recover();
        String noWarm = workspaces.keepWarm(config.sandbox().warmSandboxes());
        if (noWarm == null) log.info("sandbox pool: {} sandboxes kept warm", config.sandbox().warmSandboxes());
        else log.info("sandbox pool off: {}", noWarm);
        var events = new EventLog(db.dataSource());
        var installer = new AgentInstaller(home);
        var sessions = new SessionHost(home, db, events, workspaces, registry, installer, System.getenv())
                .withStoredCredentials(vault::env);
        sessions.recover();
        var terminals = new Terminals(workspaces, new TerminalConfig(config.terminals().ringBytes(),
                config.terminals().ringBytes(), config.terminals().exitGrace(), config.terminals().maxPerWorkspace()), db);
        workspaces.addListener(terminals);
        var api = new ApiServer(new ApiServer.Services(token, JwtVerifier.fromEnvironment(System.getenv()), workspaces, vault,
                terminals, backend.name(), backend.cgroupMode(), () -> {
            var warnings = new ArrayList<>(problems);
            if (backend.cgroupProblem() != null) warnings.add("resource limits: " + backend.cgroupProblem());
            return warnings;
        }));
        SessionRoutes.mount(api.app(), token, sessions, registry, installer);
        var relays = new dev.corral.preview.PortRelays(home, workspaces);
        workspaces.addListener(relays);
        dev.corral.api.PreviewRoutes.mount(api.app(), new dev.corral.preview.Previews(db,
                dev.corral.preview.PreviewSigner.loadOrCreate(home), workspaces), relays);
        var cron = new dev.corral.cron.CronScheduler(db, workspaces, new dev.corral.cron.NewestSessionPrompt(sessions));
        dev.corral.api.CronRoutes.mount(api.app(), cron);
        api.setSessionWorkspace(sid -> {
            try {
                return java.util.Optional.of(sessions.get(sid).workspaceId());
            } catch (CorralException e) {
                return java.util.Optional.empty();
            }
        });
        var metrics = new CorralMetrics(workspaces, db, events);
        workspaces.setStartTimes(metrics::sandboxStarted);
        api.serveLogs(logs);
        api.serveMetrics(metrics);
        api.start(config.server().bind(), config.server().port());
        log.info("corral {} listening on http://{}:{} (home {}, sandbox bwrap, cgroups {})", Version.get(),
                config.server().bind(), api.port(), home, backend.cgroupMode());
        var daemon = new Daemon(config, db, workspaces, api, token);
        daemon.events = events;
        daemon.sessions = sessions;
        daemon.cron = cron;
        cron.start();
        return daemon;
    }

    public int port() {
        return api.port();
    }

    public String token() {
        return token.value();
    }

    public CorralConfig config() {
        return config;
    }

    /** Graceful shutdown: stop serving, stop every sandbox, close the database. */
    @Override
    public void close() {
        log.info("shutting down");
        api.close();
        cron.close();
        sessions.close();
        workspaces.close();
        events.close();
        db.close();
    }

    static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
