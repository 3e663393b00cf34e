package dev.corral.agents;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An agent installed under {@code CORRAL_HOME/agents/<id>/<version>}.
 *
 * @param dir  the install prefix (holds {@code node_modules})
 * @param bin  the entry point, {@code dir/node_modules/.bin/<bin>}
 * @param args the registry's arguments (e.g. {@code --acp})
 * @param env  the registry's env plus Corral's defaults for this agent (credentials are not included)
 */
public record InstalledAgent(AgentEntry entry, Path dir, Path bin, List<String> args, Map<String, String> env) {

    public InstalledAgent {
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    /** {@code bin} followed by {@code args}: the command line that starts the agent speaking ACP on stdio. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.toString());
        cmd.addAll(args);
        return cmd;
    }
}
