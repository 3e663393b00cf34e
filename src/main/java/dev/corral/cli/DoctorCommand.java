package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.sandbox.BwrapBackend;
import dev.corral.sandbox.Cgroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "doctor", description = "Check this host: bubblewrap, socat, git, cgroups, the JDK, and the daemon. Exits 1 when something is missing.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    private record Check(String name, boolean ok, String detail) {}

    @Override
    public Integer call() {
        var checks = new ArrayList<Check>();
        checks.add(tool("bwrap", "bubblewrap", "sandboxes"));
        checks.add(tool("nsenter", "util-linux", "terminals in sandboxes"));
        checks.add(tool("setsid", "util-linux", "the launcher inside sandboxes"));
        checks.add(tool("dash", "dash", "the launcher inside sandboxes"));
        checks.add(tool("socat", "socat", "network.forward relays"));
        checks.add(tool("git", "git", "cloning repositories"));
        List<String> problems = new BwrapBackend(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), "corral-doctor", java.time.Duration.ofSeconds(10)).problems();
        checks.add(new Check("namespaces", problems.isEmpty(), problems.isEmpty() ? "bwrap can create user, pid and network namespaces" : String.join("; ", problems)));
        Cgroups cg = Cgroups.detect("corral-doctor");
        checks.add(new Check("cgroups", !"none".equals(cg.mode()) && cg.problem().isEmpty(),
                "mode " + cg.mode() + cg.problem().map(p -> ": " + p + " (memory/pids/cpu limits not enforced)").orElse(": memory, pids and cpu limits enforced")));
        cg.reapAll();
        boolean root = "root".equals(ProcessHandle.current().info().user().orElse(""));
        boolean unshare = Files.isExecutable(Path.of("/usr/bin/unshare"));
        checks.add(new Check("warm pool", true, root && unshare
                ? "on under ./corral serve (root: sandboxes are started ahead of need, CORRAL_WARM_SANDBOXES)"
                : "off (" + (root ? "unshare is missing: apt-get install util-linux" : "needs root")
                        + "): every workspace start and resume launches bubblewrap first, 20-30 ms more here"));
        int feature = Runtime.version().feature();
        checks.add(new Check("jdk", feature >= 21, "Java " + Runtime.version() + (feature >= 21 ? "" : " (need 21 or newer)")));
        try {
            JsonNode h = client.client().get("/health");
            checks.add(new Check("daemon", true, "version " + h.path("version").asText() + ", up " + h.path("uptimeSeconds").asText() + " s"));
        } catch (CliException e) {
            checks.add(new Check("daemon", true, "not running (" + e.getMessage() + ")"));
        }
        boolean ok = true;
        for (Check c : checks) {
            System.out.printf("%-4s %-11s %s%n", c.ok ? "ok" : "FAIL", c.name, c.detail);
            ok &= c.ok;
        }
        return ok ? 0 : 1;
    }

    private static Check tool(String name, String pkg, String purpose) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) return new Check(name, true, Path.of(dir, name) + " (" + purpose + ")");
        }
        return new Check(name, false, "missing, needed for " + purpose + ": apt-get install " + pkg);
    }
}
