package dev.corral.acp;

import java.time.Instant;

/**
 * One row of the {@code sessions} table.
 *
 * @param acpSessionId the agent's own session id (for {@code session/load}), null before {@code session/new} answered
 * @param args         JSON array of extra agent arguments, or null
 * @param capabilities JSON object: what the agent told us ({@code agentCapabilities}, {@code modes},
 *                     {@code configOptions}, {@code models}) and Corral's settings ({@code permissionPolicy}); or null
 */
public record SessionRecord(String id, String workspaceId, String agent, String state, String acpSessionId,
                            String modeId, String model, String args, String capabilities, Instant createdAt,
                            Instant updatedAt) {}
