package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A session as the API shows it. {@code modes}, {@code configOptions}, {@code models} and {@code agentCapabilities}
 * are what the agent answered, as it sent them; {@code pendingPermissions} are the held permission requests by id;
 * {@code lastSeq} is the seq of the newest event (0 if none), for a viewer that wants only what comes next.
 */
public record SessionView(String id, String workspaceId, String agent, String state, String acpSessionId, String modeId,
                          String model, String permissionPolicy, JsonNode modes, JsonNode configOptions, JsonNode models,
                          JsonNode agentCapabilities, JsonNode agentInfo, Map<String, JsonNode> pendingPermissions, long lastSeq,
                          Instant createdAt, Instant updatedAt) {}
