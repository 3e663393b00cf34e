package dev.corral.pty;

import dev.corral.sandbox.HostCommand;
import java.util.List;
import java.util.Map;

/** Host commands for tests: real shells on the host, no sandbox. */
final class Commands {

    static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp",
            "LANG", "C.UTF-8");

    private Commands() {
    }

    /** An interactive bash without rc files and with a plain prompt. */
    static HostCommand bash() {
        var env = new java.util.HashMap<>(ENV);
        env.put("PS1", "$ ");
        return new HostCommand(List.of("/bin/bash", "--noprofile", "--norc", "-i"), env);
    }

    static HostCommand sh(String script) {
        return new HostCommand(List.of("/bin/sh", "-c", script), ENV);
    }
}
