package dev.corral.api;

import dev.corral.agents.AgentEntry;
import dev.corral.agents.AgentInstaller;
import dev.corral.agents.AgentRegistry;
import dev.corral.agents.InstallListener;
import dev.corral.agents.InstalledAgent;
import io.javalin.http.Context;
import java.util.List;

/** The agent registry and installs: {@code GET /api/v1/agents}, {@code POST /api/v1/agents/{id}/install}. */
final class AgentRoutes {
    record AgentView(String id, String name, String version, String description, boolean installed,
                     List<String> credentialEnv, List<String> egress) {}

    private final AgentRegistry registry;
    private final AgentInstaller installer;

    AgentRoutes(AgentRegistry registry, AgentInstaller installer) {
        this.registry = registry;
        this.installer = installer;
    }

    void list(Context ctx) {
        ctx.json(registry.all().stream().map(this::view).toList());
    }

    void install(Context ctx) {
        AgentEntry e = registry.get(ctx.pathParam("id"));
        InstalledAgent installed = installer.install(e, InstallListener.NONE);
        ctx.json(view(installed.entry()));
    }

    private AgentView view(AgentEntry e) {
        return new AgentView(e.id(), e.name(), e.version(), e.description(), installer.isInstalled(e),
                e.corral().credentialEnv(), e.corral().egress());
    }
}
