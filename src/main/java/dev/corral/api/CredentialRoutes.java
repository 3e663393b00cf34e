package dev.corral.api;

import dev.corral.secrets.CredentialVault;
import dev.corral.workspace.WorkspaceService;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /api/v1/credentials}: values go in, only masked values come out. */
final class CredentialRoutes {
    private final CredentialVault vault;
    private final WorkspaceService workspaces;

    CredentialRoutes(CredentialVault vault, WorkspaceService workspaces) {
        this.vault = vault;
        this.workspaces = workspaces;
    }

    record Put(Map<String, String> env) {}

    void put(Context ctx) {
        String agent = ctx.pathParam("agentId");
        vault.put(agent, Json.body(ctx, Put.class).env());
        ctx.json(vault.list().stream().filter(m -> m.agentId().equals(agent)).findFirst().orElseThrow());
    }

    void list(Context ctx) {
        ctx.json(vault.list());
    }

    void delete(Context ctx) {
        String agent = ctx.pathParam("agentId");
        boolean deleted = vault.delete(agent);
        var usedBy = workspaces.list().stream()
                .filter(w -> agent.equals(w.agent()) && "running".equals(w.state()))
                .map(w -> Map.of("id", w.id(), "name", w.name())).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("deleted", deleted);
        body.put("runningWorkspaces", usedBy);
        ctx.json(body);
    }

    void rotate(Context ctx) {
        ctx.json(Map.of("reencrypted", vault.rotate()));
    }
}
