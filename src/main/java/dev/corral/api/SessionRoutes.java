package dev.corral.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.CorralException;
import dev.corral.acp.CreateSession;
import dev.corral.acp.SessionHost;
import dev.corral.agents.AgentInstaller;
import dev.corral.agents.AgentRegistry;
import dev.corral.auth.ApiToken;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Agent sessions (SPEC §4 "Agent sessions"): parse, call {@link SessionHost}, render. */
public final class SessionRoutes {
    static final int DEFAULT_EVENT_LIMIT = 1000;
    static final int MAX_EVENT_LIMIT = 10_000;

    record PromptBody(String text, String deliveryId) {}

    record ModeBody(String modeId) {}

    record ConfigBody(String configId, JsonNode value) {}

    record ModelBody(String modelId) {}

    record PermissionBody(String optionId, String outcome) {}

    private final SessionHost sessions;

    private SessionRoutes(SessionHost sessions) {
        this.sessions = sessions;
    }

    /** Registers the session, agent and event-stream routes on {@code app} (before it starts). */
    public static void mount(Javalin app, ApiToken token, SessionHost sessions, AgentRegistry registry, AgentInstaller installer) {
        var r = new SessionRoutes(sessions);
        var agents = new AgentRoutes(registry, installer);
        app.get("/api/v1/agents", agents::list);
        app.post("/api/v1/agents/{id}/install", agents::install);
        app.post("/api/v1/workspaces/{id}/sessions", r::create);
        app.get("/api/v1/workspaces/{id}/sessions", r::list);
        app.get("/api/v1/sessions/{sid}", r::get);
        app.delete("/api/v1/sessions/{sid}", r::delete);
        app.post("/api/v1/sessions/{sid}/prompt", r::prompt);
        app.get("/api/v1/sessions/{sid}/deliveries/{did}", r::delivery);
        app.post("/api/v1/sessions/{sid}/cancel", r::cancel);
        app.post("/api/v1/sessions/{sid}/mode", r::mode);
        app.post("/api/v1/sessions/{sid}/config", r::config);
        app.post("/api/v1/sessions/{sid}/model", r::model);
        app.post("/api/v1/sessions/{sid}/permissions/{requestId}", r::permission);
        app.post("/api/v1/sessions/{sid}/stop", r::stop);
        app.post("/api/v1/sessions/{sid}/suspend", r::suspend);
        app.post("/api/v1/sessions/{sid}/resume", r::resume);
        app.get("/api/v1/sessions/{sid}/events", r::events);
        app.get("/api/v1/sessions/{sid}/terminals", r::agentTerminals);
        app.get("/api/v1/sessions/{sid}/terminals/{tid}", r::agentTerminal);
        // The upgrade is authenticated (and scoped) by ApiServer's wsBeforeUpgrade on /api/*.
        app.ws("/api/v1/sessions/{sid}/ws", new SessionEventSocket(sessions));
    }

    void create(Context ctx) {
        ctx.status(201).json(sessions.create(ctx.pathParam("id"), Json.body(ctx, CreateSession.class)));
    }

    void list(Context ctx) {
        ctx.json(sessions.list(ctx.pathParam("id")));
    }

    void get(Context ctx) {
        ctx.json(sessions.get(ctx.pathParam("sid")));
    }

    void delete(Context ctx) {
        sessions.delete(ctx.pathParam("sid"));
        ctx.status(204);
    }

    void prompt(Context ctx) throws InterruptedException {
        PromptBody body = Json.body(ctx, PromptBody.class);
        var delivery = sessions.prompt(ctx.pathParam("sid"), body.text(), body.deliveryId());
        if (!"true".equals(ctx.queryParam("wait"))) {
            ctx.status(202).json(Map.of("deliveryId", delivery.deliveryId()));
            return;
        }
        try {
            String stop = delivery.stopReason().get();
            ctx.json(Map.of("deliveryId", delivery.deliveryId(), "stopReason", stop));
        } catch (ExecutionException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "prompt_failed", "the prompt failed: " + e.getCause());
        }
    }

    void delivery(Context ctx) {
        String did = ctx.pathParam("did");
        ctx.json(Map.of("deliveryId", did, "state", sessions.receiptState(ctx.pathParam("sid"), did)));
    }

    void cancel(Context ctx) {
        sessions.cancel(ctx.pathParam("sid"));
        ctx.status(204);
    }

    void mode(Context ctx) {
        ctx.json(sessions.setMode(ctx.pathParam("sid"), Json.body(ctx, ModeBody.class).modeId()));
    }

    void agentTerminals(Context ctx) {
        ctx.json(sessions.agentTerminals(ctx.pathParam("sid")));
    }

    void agentTerminal(Context ctx) {
        ctx.json(sessions.agentTerminal(ctx.pathParam("sid"), ctx.pathParam("tid")));
    }

    void model(Context ctx) {
        ctx.json(sessions.setModel(ctx.pathParam("sid"), Json.body(ctx, ModelBody.class).modelId()));
    }

    void config(Context ctx) {
        ConfigBody b = Json.body(ctx, ConfigBody.class);
        ctx.json(sessions.setConfig(ctx.pathParam("sid"), b.configId(), b.value()));
    }

    void permission(Context ctx) {
        PermissionBody b = Json.body(ctx, PermissionBody.class);
        boolean cancelled = "cancelled".equals(b.outcome());
        if (!cancelled && (b.optionId() == null || b.optionId().isBlank())) {
            throw CorralException.badRequest("missing_option", "give {\"optionId\"} or {\"outcome\":\"cancelled\"}");
        }
        sessions.answerPermission(ctx.pathParam("sid"), ctx.pathParam("requestId"), cancelled ? null : b.optionId());
        ctx.status(204);
    }

    void stop(Context ctx) {
        ctx.json(sessions.stop(ctx.pathParam("sid")));
    }

    void suspend(Context ctx) {
        ctx.json(sessions.suspend(ctx.pathParam("sid")));
    }

    void resume(Context ctx) {
        ctx.json(sessions.resume(ctx.pathParam("sid")));
    }

    void events(Context ctx) {
        long after = longParam(ctx, "after", 0);
        long limit = longParam(ctx, "limit", DEFAULT_EVENT_LIMIT);
        if (after < 0 || limit < 1 || limit > MAX_EVENT_LIMIT) {
            throw CorralException.badRequest("invalid_range", "after must be >= 0 and limit 1.." + MAX_EVENT_LIMIT);
        }
        ctx.contentType("application/json").result(EventJson.list(sessions.events(ctx.pathParam("sid"), after, (int) limit)));
    }

    static long longParam(Context ctx, String name, long fallback) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) return fallback;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw CorralException.badRequest("invalid_" + name, name + " must be a whole number");
        }
    }
}
