package dev.corral.acp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * Puts {@link FakeAgent} into a Corral home as an installed registry agent {@code fake} (version 1.0.0), so the daemon
 * starts it inside workspace sandboxes like any agent: {@code agents.json} names it, and
 * {@code agents/fake/1.0.0} holds the install marker, {@code node_modules/.bin/fake-agent} (a shell script running
 * this JVM's java, visible in the sandbox under the read-only {@code /usr}), the FakeAgent classes and Jackson.
 * By default it plays {@code /workspace/.fake/script.json} and records to {@code /home/corral/received.jsonl}.
 */
public final class SandboxedFakeAgent {
    public static final String ID = "fake";
    static final String VERSION = "1.0.0";

    private SandboxedFakeAgent() {}

    public static void install(Path corralHome) {
        try {
            Files.createDirectories(corralHome);
            Files.writeString(corralHome.resolve("agents.json"), """
                    [{"id": "fake", "name": "Fake agent", "version": "1.0.0", "description": "FakeAgent from the tests",
                      "distribution": {"npx": {"package": "fake-agent@1.0.0",
                                              "args": ["/workspace/.fake/script.json", "/home/corral/received.jsonl"]}},
                      "corral": {"bin": "fake-agent", "credentialEnv": ["FAKE_AGENT_KEY"], "initTimeoutSeconds": 10,
                                 "exitsOnStdinEof": true, "defaultEnv": {"FAKE_DEFAULT": "1"}}}]
                    """);
            Path dir = corralHome.resolve("agents").resolve(ID).resolve(VERSION);
            Path classes = dir.resolve("lib/classes/dev/corral/acp");
            Files.createDirectories(classes);
            Path testClasses = Path.of(FakeAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (Stream<Path> s = Files.list(testClasses.resolve("dev/corral/acp"))) {
                for (Path c : s.filter(p -> p.getFileName().toString().startsWith("FakeAgent")).toList()) {
                    Files.copy(c, classes.resolve(c.getFileName()));
                }
            }
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (jar.getFileName().toString().matches("jackson-(core|databind|annotations)-.*\\.jar")) {
                    Files.copy(jar, dir.resolve("lib").resolve(jar.getFileName()));
                }
            }
            String java = ProcessHandle.current().info().command().orElseThrow();
            String inside = "/opt/corral/agents/" + ID + "/" + VERSION + "/lib";
            Path bin = dir.resolve("node_modules/.bin/fake-agent");
            Files.createDirectories(bin.getParent());
            Files.writeString(bin, "#!/bin/sh\nexec " + java + " -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx160m"
                    + " -cp '" + inside + "/classes:" + inside + "/*' dev.corral.acp.FakeAgent \"$@\"\n");
            Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(dir.resolve(".corral-install.json"), "{\"id\":\"fake\",\"version\":\"1.0.0\"}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
