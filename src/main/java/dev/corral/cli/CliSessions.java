package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Finds the session a command means: a session id, or a workspace's newest session (of an agent, if given). */
final class CliSessions {
    private CliSessions() {}

    /**
     * @param id     a session id ({@code ses-…}) or a workspace id or name
     * @param agent  only sessions of this agent; null for any
     * @param create start a session when the workspace has none (with {@code agent}, or the workspace's own agent)
     */
    static JsonNode resolve(ApiClient api, String id, String agent, boolean create) {
        if (id.startsWith("ses-")) return api.get("/api/v1/sessions/" + id);
        JsonNode sessions = api.get("/api/v1/workspaces/" + id + "/sessions");
        JsonNode found = null;
        for (JsonNode s : sessions) {
            if (agent == null || agent.equals(s.path("agent").asText())) found = s;
        }
        if (found != null) return found;
        if (!create) throw new CliException("workspace " + id + " has no " + (agent == null ? "" : agent + " ") + "session");
        String use = agent != null ? agent : api.get("/api/v1/workspaces/" + id).path("agent").asText(null);
        if (use == null || use.isBlank()) throw new CliException("workspace " + id + " has no session yet; name the agent with --agent ID");
        System.err.println("starting agent " + use + " …");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agent", use);
        return api.post("/api/v1/workspaces/" + id + "/sessions", body);
    }
}
