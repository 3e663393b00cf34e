package dev.corral.acp;

import java.util.List;
import java.util.Map;

/**
 * A request to start an agent session in a workspace.
 *
 * @param agent            registry id of the agent
 * @param env              extra environment for the agent process only (e.g. credentials); kept in memory, never stored
 * @param args             extra arguments after the registry's
 * @param modeId           {@code session/set_mode} right after {@code session/new}
 * @param model            the model, through the agent's {@code model} config option or {@code session/set_model}
 * @param permissionPolicy {@code ask} (default), {@code allow-reads}, {@code allow-all} or {@code deny-all}
 */
public record CreateSession(String agent, Map<String, String> env, List<String> args, String modeId, String model,
                            String permissionPolicy) {
    public CreateSession {
        if (agent == null || agent.isBlank()) throw new IllegalArgumentException("\"agent\" is required");
        env = env == null ? Map.of() : Map.copyOf(env);
        args = args == null ? List.of() : List.copyOf(args);
        PermissionPolicy.parse(permissionPolicy);
    }
}
