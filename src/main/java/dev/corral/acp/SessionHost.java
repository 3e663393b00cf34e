package dev.corral.acp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.CorralException;
import dev.corral.agents.AgentEntry;
import dev.corral.agents.AgentInstaller;
import dev.corral.agents.AgentRegistry;
import dev.corral.agents.InstallListener;
import dev.corral.agents.InstalledAgent;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import dev.corral.store.Database;
import dev.corral.workspace.Workspace;
import dev.corral.workspace.WorkspaceService;
import dev.corral.workspace.WorkspaceState;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agent sessions (SPEC §1, §4): each is one ACP conversation with one agent inside one workspace's sandbox, with a
 * durable transcript in the {@link EventLog}. The daemon is the ACP client and keeps a session going whether or not
 * anyone watches.
 *
 * <p><b>Prompts</b> run one at a time per session, in the order accepted. Each carries a delivery id whose receipt is
 * stored before anything else (accepted), moves to in_flight when its {@code user_prompt} event is written and the
 * agent is called, and to completed with the stop reason. A prompt whose outcome cannot be known (the agent or the
 * daemon died during it) becomes ambiguous and is never sent again. A repeated delivery id runs nothing.
 *
 * <p><b>Agent processes</b> start with the session, and again (with {@code session/load} of the same ACP session when
 * the agent supports it) for the next prompt after a crash, a stop or a daemon restart; the workspace is resumed if it
 * was stopped. Agent ends are recorded as {@code agent_state} events: {@code crashed} with the last stderr lines, or
 * {@code stopped}.
 *
 * <p>Thread-safe. Methods throw {@link CorralException}: not found for unknown sessions, conflict when a workspace is
 * not running, unavailable when an agent cannot start (with its last stderr lines).
 */
public final class SessionHost implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionHost.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(60);
    /** Agents whose ACP file system support is broken (docs/agents.md): they use their own file access in the sandbox. */
    private static final Set<String> NO_CLIENT_FS = Set.of("gemini");

    private final SessionStore store;
    private final EventLog events;
    private final WorkspaceService workspaces;
    private final AgentRegistry registry;
    private final AgentInstaller installer;
    private final Path agentsDir;
    private final Map<String, String> daemonEnv;
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("agent-restarts").daemon().factory());
    private volatile RestartPolicy restartPolicy = RestartPolicy.DEFAULTS;
    private final PromptRetry promptRetry;
    private volatile java.util.function.Function<String, Map<String, String>> storedCredentials = agent -> Map.of();

    /**
     * How a crashed agent is started again: after {@code initialBackoff}, doubling up to {@code maxBackoff}, at most
     * {@code maxAttempts} times in a row (an agent that stayed up for {@code maxBackoff} counts as recovered). After
     * that the session stays crashed until the next prompt.
     */
    public record RestartPolicy(Duration initialBackoff, Duration maxBackoff, int maxAttempts) {
        public static final RestartPolicy DEFAULTS = new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(60), 5);

        Duration delay(int attempt) {
            long ms = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
            return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
        }
    }

    /** What exists of a session while the daemon runs. */
    private static final class Live {
        final String id;
        final ReentrantLock lock = new ReentrantLock();
        final ExecutorService turns;
        final Map<String, CompletableFuture<String>> waiting = new ConcurrentHashMap<>();
        volatile AgentSession agent;
        volatile PermissionPolicy policy = PermissionPolicy.ASK;
        volatile Map<String, String> requestEnv = Map.of();
        volatile String stopReason;
        volatile int restartAttempts;
        volatile long readyAtNanos;

        Live(String id) {
            this.id = id;
            this.turns = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("turns-" + id).factory());
        }
    }

    /** A prompt taken in: its delivery id, and the stop reason to come ("error" if the turn failed). */
    public record Delivery(String deliveryId, CompletableFuture<String> stopReason) {}

    /**
     * @param home      CORRAL_HOME (installed agents live under {@code agents/})
     * @param daemonEnv the daemon's environment; only each agent's {@code credentialEnv} variables are passed on
     */
    public SessionHost(Path home, Database db, EventLog events, WorkspaceService workspaces, AgentRegistry registry,
                       AgentInstaller installer, Map<String, String> daemonEnv) {
        this.store = new SessionStore(db);
        this.events = events;
        this.workspaces = workspaces;
        this.registry = registry;
        this.installer = installer;
        this.agentsDir = home.resolve("agents");
        this.daemonEnv = Map.copyOf(daemonEnv);
        this.promptRetry = PromptRetry.fromEnv(daemonEnv);
        workspaces.addListener(new WorkspaceService.Listener() {
            @Override
            public void stopping(String workspaceId) {
                live.values().forEach(l -> {
                    AgentSession a = l.agent;
                    if (a != null && store.get(l.id).map(r -> r.workspaceId().equals(workspaceId)).orElse(false)) {
                        l.stopReason = "the workspace stopped";
                        a.expectEnd();
                    }
                });
            }
        });
    }

    /**
     * After a daemon start: agent processes died with the old daemon, so sessions are stopped (their agents start
     * again with the next prompt), and unfinished prompts become ambiguous, each with an {@code error} event.
     */
    public void recover() {
        for (SessionStore.Receipt r : store.markUnfinishedAmbiguous()) {
            ObjectNode data = JsonRpcConnection.JSON.createObjectNode()
                    .put("message", "in_flight".equals(r.state())
                            ? "the daemon stopped while this prompt was in flight; its outcome is unknown and it is not sent again"
                            : "the daemon stopped before this prompt was sent; it is not sent")
                    .put("deliveryId", r.deliveryId()).put("receipt", "ambiguous");
            events.append(r.sessionId(), EventType.ERROR, data.toString());
        }
        for (SessionRecord s : store.all()) {
            if (!"stopped".equals(s.state()) && !"suspended".equals(s.state())) {
                store.setState(s.id(), "stopped");
                appendState(s.id(), "stopped", "the daemon restarted; the agent starts again with the next prompt", null, null);
            }
        }
    }

    // ---- sessions ----

    /** Starts an agent session in a running workspace, installing the agent first if needed. Blocks until it is ready. */
    public SessionView create(String workspaceIdOrName, CreateSession req) {
        AgentEntry entry = registry.get(req.agent());
        Workspace w = workspaces.get(workspaceIdOrName);
        workspaces.sandbox(w.id()); // fail fast when the workspace is not running
        installer.install(entry, InstallListener.NONE);
        PermissionPolicy policy = PermissionPolicy.parse(req.permissionPolicy());
        String id = "ses-" + HexFormat.of().formatHex(bytes(8));
        Instant now = Instant.now();
        ObjectNode caps = JsonRpcConnection.JSON.createObjectNode().put("permissionPolicy", policy.wire());
        store.insert(new SessionRecord(id, w.id(), entry.id(), "starting", null, req.modeId(), req.model(),
                req.args().isEmpty() ? null : JsonRpcConnection.JSON.valueToTree(req.args()).toString(), caps.toString(), now, now));
        Live l = live(id);
        l.policy = policy;
        l.requestEnv = req.env();
        l.lock.lock();
        try {
            AgentSession a = startAgent(l, store.get(id).orElseThrow(), false);
            if (req.modeId() != null) setModeOn(a, id, req.modeId());
            if (req.model() != null) setModelOn(a, id, req.model());
        } finally {
            l.lock.unlock();
        }
        return get(id);
    }

    public SessionView get(String sessionId) {
        return view(record(sessionId));
    }

    public List<SessionView> list(String workspaceIdOrName) {
        return store.byWorkspace(workspaces.get(workspaceIdOrName).id()).stream().map(this::view).toList();
    }

    /**
     * Takes a prompt in. Returns once its receipt is stored; the turn runs after the ones before it.
     *
     * @param deliveryId the caller's id for this delivery, or null for a new one; a known id runs nothing again
     */
    public Delivery prompt(String sessionId, String text, String deliveryId) {
        if (text == null || text.isBlank()) throw CorralException.badRequest("missing_text", "\"text\" is required");
        record(sessionId);
        String did = deliveryId == null || deliveryId.isBlank() ? "d-" + HexFormat.of().formatHex(bytes(8)) : deliveryId;
        Live l = live(sessionId);
        synchronized (l) {
            var existing = store.accept(sessionId, did);
            if (existing.isPresent()) {
                CompletableFuture<String> running = l.waiting.get(did);
                if (running != null) return new Delivery(did, running);
                var r = existing.get();
                return new Delivery(did, CompletableFuture.completedFuture(
                        r.stopReason() != null ? r.stopReason() : r.state()));
            }
            var done = new CompletableFuture<String>();
            l.waiting.put(did, done);
            l.turns.execute(() -> runTurn(l, text, did, done));
            return new Delivery(did, done);
        }
    }

    /** The receipt state of a delivery: accepted, in_flight, completed or ambiguous. */
    public String receiptState(String sessionId, String deliveryId) {
        return store.receipt(sessionId, deliveryId).map(SessionStore.Receipt::state)
                .orElseThrow(() -> CorralException.notFound("delivery", deliveryId));
    }

    private void runTurn(Live l, String text, String deliveryId, CompletableFuture<String> done) {
        String id = l.id;
        String stop = "error";
        String receipt = "completed";
        try {
            ObjectNode prompt = JsonRpcConnection.JSON.createObjectNode().put("text", text).put("deliveryId", deliveryId);
            Event promptEvent = events.append(id, EventType.USER_PROMPT, prompt.toString());
            store.receiptInFlight(id, deliveryId, promptEvent.seq());
            AgentSession a;
            try {
                a = ensureAgent(l);
            } catch (CorralException e) {
                error(id, deliveryId, "the agent could not start: " + e.getMessage(), null);
                return;
            }
            try {
                for (int retry = 1; ; retry++) {
                    long before = a.updateCount();
                    var atAnswer = new java.util.concurrent.atomic.AtomicLong(-1);
                    RpcCall call = a.prompt(text);
                    // Runs on the dispatcher as the answer arrives (unless it already has): later updates do not count.
                    CompletableFuture<?> observed = call.future().whenComplete((res, err) -> atAnswer.compareAndSet(-1, a.updateCount()));
                    try {
                        JsonNode result = call.awaitResult();
                        stop = result == null ? "end_turn" : result.path("stopReason").asText("end_turn");
                        break;
                    } catch (JsonRpcErrorException e) {
                        observed.handle((x, y) -> null).join();
                        String err = e.response().error().toString();
                        if (retry > promptRetry.maxRetries() || atAnswer.get() != before || !PromptRetry.isTransient(err)) {
                            error(id, deliveryId, "the agent refused the prompt: " + e.getMessage(), e.response().error());
                            break;
                        }
                        Duration delay = promptRetry.delay(retry);
                        ObjectNode d = JsonRpcConnection.JSON.createObjectNode().put("message", "transient error from the agent "
                                + "before any output; sending the prompt again in " + delay.toMillis() + " ms")
                                .put("deliveryId", deliveryId).put("retry", retry).put("delayMs", delay.toMillis());
                        d.set("agentError", e.response().error());
                        events.append(id, EventType.ERROR, d.toString());
                        Thread.sleep(delay.toMillis());
                    }
                }
            } catch (ConnectionClosedException e) {
                receipt = "ambiguous";
                error(id, deliveryId, "the agent ended during this prompt; its outcome is unknown and it is not sent again", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            receipt = "ambiguous";
        } catch (RuntimeException e) {
            log.error("session {}: prompt {} failed", id, deliveryId, e);
            receipt = "ambiguous";
            error(id, deliveryId, "internal error: " + e.getMessage(), null);
        } finally {
            try {
                events.append(id, EventType.TURN_END, JsonRpcConnection.JSON.createObjectNode()
                        .put("stopReason", stop).put("deliveryId", deliveryId).toString());
                store.receiptEnded(id, deliveryId, receipt, stop);
            } catch (RuntimeException e) {
                log.error("session {}: cannot record the end of prompt {}", id, deliveryId, e);
            }
            l.waiting.remove(deliveryId);
            done.complete(stop);
        }
    }

    /** Sends {@code session/cancel} for the current turn and cancels held permission requests. */
    public void cancel(String sessionId) {
        record(sessionId);
        AgentSession a = live(sessionId).agent;
        if (a != null) a.cancel();
    }

    public SessionView setMode(String sessionId, String modeId) {
        if (modeId == null || modeId.isBlank()) throw CorralException.badRequest("missing_mode", "\"modeId\" is required");
        setModeOn(agentOf(sessionId), sessionId, modeId);
        return get(sessionId);
    }

    /**
     * {@code session/set_config_option}; returns the agent's answer (its config options), which also replaces the
     * session's stored {@code configOptions} when the agent sends them.
     */
    public JsonNode setConfig(String sessionId, String configId, JsonNode value) {
        if (configId == null || configId.isBlank()) throw CorralException.badRequest("missing_config", "\"configId\" is required");
        ObjectNode p = JsonRpcConnection.JSON.createObjectNode().put("configId", configId);
        p.set("value", value);
        JsonNode answer = callAgent(agentOf(sessionId), "session/set_config_option", p);
        if (answer != null && answer.path("configOptions").isArray()) {
            ObjectNode caps = capabilities(sessionId);
            caps.set("configOptions", answer.get("configOptions"));
            store.setCapabilities(sessionId, caps.toString());
        }
        return answer;
    }

    /**
     * Chooses the session's model: the agent's {@code model} config option when it has one, else
     * {@code session/set_model}. The session's {@code model} (and {@code models.currentModelId}) record the choice.
     */
    public SessionView setModel(String sessionId, String modelId) {
        if (modelId == null || modelId.isBlank()) throw CorralException.badRequest("missing_model", "\"modelId\" is required");
        AgentSession a = agentOf(sessionId);
        JsonNode answer = setModelOn(a, sessionId, modelId);
        ObjectNode caps = capabilities(sessionId);
        if (answer != null && answer.path("configOptions").isArray()) caps.set("configOptions", answer.get("configOptions"));
        if (caps.path("models").isObject()) ((ObjectNode) caps.get("models")).put("currentModelId", modelId);
        store.setModel(sessionId, modelId, caps.toString());
        return get(sessionId);
    }

    private ObjectNode capabilities(String sessionId) {
        JsonNode caps = json(record(sessionId).capabilities());
        return caps.isObject() ? (ObjectNode) caps.deepCopy() : JsonRpcConnection.JSON.createObjectNode();
    }

    /**
     * A live agent terminal's output so far: {@code terminalId, output, truncated, running, exitStatus?}.
     *
     * @throws CorralException 404 {@code terminal_not_found} when the agent has no such terminal (never had, released
     *                         it, or ended; the transcript's {@code terminal_exit} keeps the output of ended ones)
     */
    public JsonNode agentTerminal(String sessionId, String terminalId) {
        record(sessionId);
        AgentSession a = live(sessionId).agent;
        return (a == null ? java.util.Optional.<ObjectNode>empty() : a.terminal(terminalId)).orElseThrow(() ->
                new CorralException(CorralException.Kind.NOT_FOUND, "terminal_not_found", "the agent has no terminal "
                        + terminalId + " now (an ended command's output is in the transcript as terminal_exit)"));
    }

    /** The agent's terminals not released yet (empty when the agent does not run), as {@link #agentTerminal}. */
    public List<? extends JsonNode> agentTerminals(String sessionId) {
        record(sessionId);
        AgentSession a = live(sessionId).agent;
        return a == null ? List.of() : a.terminals();
    }

    /** Answers a held permission request with an option id, or null for "cancelled". */
    public void answerPermission(String sessionId, String requestId, String optionId) {
        record(sessionId);
        AgentSession a = live(sessionId).agent;
        if (a == null) throw CorralException.notFound("pending permission request", requestId);
        a.answerPermission(requestId, optionId);
    }

    /** Ends the agent process; the transcript stays, and the next prompt starts the agent again. */
    public SessionView stop(String sessionId) {
        stop(sessionId, "stopped");
        return get(sessionId);
    }

    private void stop(String sessionId, String state) {
        record(sessionId);
        Live l = live(sessionId);
        l.lock.lock();
        try {
            AgentSession a = l.agent;
            if (a != null) {
                l.stopReason = state.equals("suspended") ? "suspended by request" : "stopped by request";
                a.stop();
            }
            l.agent = null;
            store.setState(sessionId, state);
        } finally {
            l.lock.unlock();
        }
    }

    /** Like {@link #stop}, but the session is {@code suspended} until {@link #resume} or the next prompt. */
    public SessionView suspend(String sessionId) {
        stop(sessionId, "suspended");
        return get(sessionId);
    }

    /** Starts the agent now (reattaching its ACP session) if it is not running. */
    public SessionView resume(String sessionId) {
        agentOf(sessionId);
        return get(sessionId);
    }

    /** Stops the agent and deletes the session with its transcript and receipts. */
    public void delete(String sessionId) {
        stop(sessionId);
        Live l = live.remove(sessionId);
        if (l != null) {
            l.turns.shutdownNow();
            try {
                // A turn ending now still writes its last events; let it, so none outlive the session's rows.
                l.turns.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.delete(sessionId);
    }

    public List<Event> events(String sessionId, long afterSeq, int limit) {
        record(sessionId);
        return events.read(sessionId, afterSeq, limit);
    }

    /** Replays the events after {@code afterSeq}, then delivers new ones live; see {@link EventLog#subscribe}. */
    public Subscription subscribe(String sessionId, long afterSeq, EventListener listener) {
        record(sessionId);
        return events.subscribe(sessionId, afterSeq, listener);
    }

    /** Stops every agent (the sessions stay; they start again after the next daemon start). */
    @Override
    public void close() {
        for (Live l : live.values()) {
            AgentSession a = l.agent;
            if (a != null) {
                l.stopReason = "the daemon is shutting down";
                a.stop();
            }
            l.turns.shutdownNow();
        }
        restarts.shutdownNow();
    }

    // ---- agent processes ----

    private AgentSession agentOf(String sessionId) {
        record(sessionId);
        Live l = live(sessionId);
        l.lock.lock();
        try {
            return ensureAgent(l);
        } finally {
            l.lock.unlock();
        }
    }

    private AgentSession ensureAgent(Live l) {
        l.lock.lock();
        try {
            AgentSession a = l.agent;
            if (a != null && a.isAlive()) return a;
            return startAgent(l, record(l.id), true);
        } finally {
            l.lock.unlock();
        }
    }

    /** Starts the agent and its ACP session (loading the earlier one if {@code reattach}); caller holds the lock. */
    private AgentSession startAgent(Live l, SessionRecord rec, boolean reattach) {
        String id = rec.id();
        store.setState(id, "starting");
        appendState(id, "starting", null, null, null);
        Workspace w = workspaces.get(rec.workspaceId());
        Sandbox sandbox;
        AgentEntry entry;
        InstalledAgent inst;
        try {
            if (w.state() == WorkspaceState.STOPPED) workspaces.resume(w.id());
            sandbox = workspaces.sandbox(w.id());
            entry = registry.get(rec.agent());
            inst = installer.install(entry, InstallListener.NONE);
        } catch (RuntimeException e) {
            store.setState(id, "crashed");
            appendState(id, "crashed", "the agent cannot start: " + e.getMessage(), null, null);
            throw e;
        }
        var launch = new AgentSession.Launch(sandbox, command(inst, rec, l.requestEnv), workspaces.files(w.id()),
                !NO_CLIENT_FS.contains(entry.id()), Duration.ofSeconds(entry.corral().initTimeoutSeconds()),
                entry.corral().exitsOnStdinEof());
        AgentSession a = AgentSession.start(id, events, launch, () -> l.policy, (agent, requested, code, stderr) ->
                onExit(l, agent, requested, code, stderr));
        try {
            JsonNode init = a.initialize();
            JsonNode caps = json(rec.capabilities());
            ObjectNode merged = caps.isObject() ? (ObjectNode) caps : JsonRpcConnection.JSON.createObjectNode();
            merged.set("agentCapabilities", init.path("agentCapabilities"));
            if (init.has("agentInfo")) merged.set("agentInfo", init.get("agentInfo"));
            boolean canLoad = init.path("agentCapabilities").path("loadSession").asBoolean(false);
            JsonNode session;
            if (reattach && rec.acpSessionId() != null && canLoad) {
                try {
                    session = a.loadSession(rec.acpSessionId());
                } catch (JsonRpcErrorException e) {
                    error(id, null, "the agent could not load its earlier session (" + e.getMessage()
                            + "); a new ACP session started, without the earlier context", null);
                    session = a.newSession();
                }
            } else {
                if (reattach && rec.acpSessionId() != null) {
                    error(id, null, "the agent cannot load sessions; a new ACP session started, without the earlier context", null);
                }
                session = a.newSession();
            }
            for (String f : List.of("modes", "configOptions", "models")) {
                if (session.has(f)) merged.set(f, session.get(f));
            }
            store.setStarted(id, a.acpSessionId(), merged.toString());
            l.agent = a;
            l.stopReason = null;
            l.readyAtNanos = System.nanoTime();
            store.setState(id, "ready");
            appendState(id, "ready", null, null, null);
            if (reattach && rec.modeId() != null) setModeOn(a, id, rec.modeId());
            return a;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a.stop();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted while starting the agent");
        } catch (RuntimeException e) {
            l.stopReason = "start failed";
            a.stop();
            List<String> tail = a.stderrTail();
            store.setState(id, "crashed");
            appendState(id, "crashed", "the agent failed to start: " + e.getMessage(), null, tail);
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "agent_start_failed", "agent " + entry.id()
                    + " failed to start: " + e.getMessage() + (tail.isEmpty() ? "" : "; last stderr lines:\n" + String.join("\n", tail)), e);
        }
    }

    private void onExit(Live l, AgentSession agent, boolean requested, Integer code, List<String> stderr) {
        if (l.agent == agent) l.agent = null;
        String reason = l.stopReason;
        if ("start failed".equals(reason)) return; // recorded by startAgent
        if (requested) {
            if (live.containsKey(l.id)) {
                store.setState(l.id, "stopped");
                appendState(l.id, "stopped", reason, code, null);
            }
        } else {
            store.setState(l.id, "crashed");
            appendState(l.id, "crashed", "the agent exited" + (code == null ? "" : " with status " + code), code, stderr);
            if (System.nanoTime() - l.readyAtNanos > restartPolicy.maxBackoff().toNanos()) l.restartAttempts = 0;
            scheduleRestart(l);
        }
    }

    /**
     * Where stored credentials come from (the credential vault): an agent id to the env saved for it. They go into that
     * agent's process only, over the daemon's own {@code credentialEnv} values and under a session request's {@code env}.
     */
    public SessionHost withStoredCredentials(java.util.function.Function<String, Map<String, String>> byAgent) {
        this.storedCredentials = byAgent;
        return this;
    }

    /** Uses another restart policy (tests, configuration). */
    public SessionHost withRestartPolicy(RestartPolicy policy) {
        this.restartPolicy = policy;
        return this;
    }

    private void scheduleRestart(Live l) {
        int attempt = ++l.restartAttempts;
        RestartPolicy policy = restartPolicy;
        if (attempt > policy.maxAttempts()) {
            log.warn("session {}: agent crashed {} times in a row; not restarting until the next prompt", l.id, attempt - 1);
            l.restartAttempts = 0;
            return;
        }
        Duration delay = policy.delay(attempt);
        store.setState(l.id, "restarting");
        ObjectNode d = JsonRpcConnection.JSON.createObjectNode().put("state", "restarting").put("attempt", attempt)
                .put("delayMs", delay.toMillis());
        events.append(l.id, EventType.AGENT_STATE, d.toString());
        restarts.schedule(() -> Thread.ofVirtual().name("restart-" + l.id).start(() -> restart(l)),
                delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void restart(Live l) {
        if (!live.containsKey(l.id)) return;
        l.lock.lock();
        try {
            AgentSession a = l.agent;
            if (a != null && a.isAlive()) return; // a prompt started it meanwhile
            if (!store.get(l.id).map(r -> r.state().equals("restarting")).orElse(false)) return; // stopped meanwhile
            startAgent(l, record(l.id), true);
        } catch (CorralException e) {
            log.info("session {}: restart failed: {}", l.id, e.getMessage());
            scheduleRestart(l);
        } finally {
            l.lock.unlock();
        }
    }

    private SandboxCommand command(InstalledAgent inst, SessionRecord rec, Map<String, String> requestEnv) {
        String bin = SandboxSpec.AGENTS + "/" + agentsDir.relativize(inst.bin());
        List<String> extra = rec.args() == null ? List.of()
                : JsonRpcConnection.JSON.convertValue(json(rec.args()), JsonRpcConnection.JSON.getTypeFactory()
                        .constructCollectionType(List.class, String.class));
        Map<String, String> env = new HashMap<>(inst.env());
        AgentEntry.ConfigHome ch = inst.entry().corral().configHome();
        if (ch != null && ch.env() != null && ch.dir() != null) {
            String dir = ch.dir().replaceFirst("^~", SandboxSpec.HOME);
            // XDG_* variables name the base directory, under which the agent makes its own folder.
            if (ch.env().startsWith("XDG_") && dir.lastIndexOf('/') > 0) dir = dir.substring(0, dir.lastIndexOf('/'));
            env.put(ch.env(), dir);
        }
        for (String name : inst.entry().corral().credentialEnv()) {
            String v = daemonEnv.get(name);
            if (v != null) env.put(name, v);
        }
        env.putAll(storedCredentials.apply(inst.entry().id()));
        env.putAll(requestEnv);
        return new SandboxCommand(AgentSession.argvOf(bin, inst.args(), extra), SandboxSpec.WORKSPACE, env);
    }

    private void setModeOn(AgentSession a, String id, String modeId) {
        callAgent(a, "session/set_mode", JsonRpcConnection.JSON.createObjectNode().put("modeId", modeId));
        store.setMode(id, modeId);
        ObjectNode caps = capabilities(id);
        if (caps.path("modes").isObject()) {
            ((ObjectNode) caps.get("modes")).put("currentModeId", modeId);
            store.setCapabilities(id, caps.toString());
        }
    }

    private JsonNode setModelOn(AgentSession a, String id, String model) {
        JsonNode caps = json(record(id).capabilities());
        boolean hasOption = false;
        for (JsonNode o : caps.path("configOptions")) hasOption |= "model".equals(o.path("id").asText());
        if (hasOption) {
            ObjectNode p = JsonRpcConnection.JSON.createObjectNode().put("configId", "model").put("value", model);
            return callAgent(a, "session/set_config_option", p);
        }
        return callAgent(a, "session/set_model", JsonRpcConnection.JSON.createObjectNode().put("modelId", model));
    }

    private JsonNode callAgent(AgentSession a, String method, ObjectNode params) {
        try {
            return a.callSession(method, params, CALL_DEADLINE);
        } catch (JsonRpcErrorException e) {
            throw CorralException.badRequest("agent_refused", "the agent refused " + method + ": " + e.getMessage());
        } catch (AcpException e) {
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "agent_unavailable", method + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        }
    }

    // ---- helpers ----

    private Live live(String id) {
        return live.computeIfAbsent(id, k -> {
            Live l = new Live(k);
            store.get(k).ifPresent(r -> l.policy = PermissionPolicy.parse(json(r.capabilities()).path("permissionPolicy").asText(null)));
            return l;
        });
    }

    private SessionRecord record(String id) {
        return store.get(id).orElseThrow(() -> CorralException.notFound("session", id));
    }

    private SessionView view(SessionRecord r) {
        JsonNode caps = json(r.capabilities());
        Live l = live.get(r.id());
        AgentSession a = l == null ? null : l.agent;
        return new SessionView(r.id(), r.workspaceId(), r.agent(), r.state(), r.acpSessionId(), r.modeId(), r.model(),
                caps.path("permissionPolicy").asText("ask"), caps.get("modes"), caps.get("configOptions"), caps.get("models"),
                caps.get("agentCapabilities"), caps.get("agentInfo"), a == null ? Map.of() : a.pendingPermissions(), events.lastSeq(r.id()),
                r.createdAt(), r.updatedAt());
    }

    private void appendState(String id, String state, String reason, Integer exitCode, List<String> stderr) {
        ObjectNode d = JsonRpcConnection.JSON.createObjectNode().put("state", state);
        if (reason != null) d.put("reason", reason);
        if (exitCode != null) d.put("exitCode", exitCode);
        if (stderr != null) stderr.forEach(d.putArray("stderr")::add);
        events.append(id, EventType.AGENT_STATE, d.toString());
    }

    private void error(String id, String deliveryId, String message, JsonNode agentError) {
        ObjectNode d = JsonRpcConnection.JSON.createObjectNode().put("message", message);
        if (deliveryId != null) d.put("deliveryId", deliveryId);
        if (agentError != null) d.set("agentError", agentError);
        events.append(id, EventType.ERROR, d.toString());
    }

    private static JsonNode json(String text) {
        if (text == null) return JsonRpcConnection.JSON.createObjectNode();
        try {
            return JsonRpcConnection.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is unreadable: " + e.getOriginalMessage(), e);
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
