package dev.corral.agents;

import dev.corral.CorralException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Installs a tiny package packed with {@code npm pack} in the test, so no network is needed. */
@Timeout(120)
class AgentInstallerTest {

    @TempDir static Path packDir;
    static Path tarball;

    @TempDir Path home;

    @BeforeAll
    static void packFakeAgent() throws Exception {
        Path src = Files.createDirectories(packDir.resolve("src"));
        Files.writeString(src.resolve("package.json"), """
                {"name": "corral-fake-agent", "version": "1.0.0", "bin": {"fake-agent": "agent.js"}}
                """);
        Files.writeString(src.resolve("agent.js"), "#!/usr/bin/env node\nprocess.stdout.write('fake ' + process.argv.slice(2).join(' ') + '\\n');\n");
        Process p = new ProcessBuilder("npm", "pack", "--pack-destination", packDir.toString())
                .directory(src.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        tarball = packDir.resolve("corral-fake-agent-1.0.0.tgz");
        assertThat(tarball).exists();
    }

    static AgentEntry entry(String id, String packageSpec, String bin) {
        return new AgentEntry(id, "Fake", "1.0.0", "a fake agent", null, null, null,
                new AgentEntry.Distribution(new AgentEntry.PackageDistribution(packageSpec, List.of("--acp"), Map.of("X", "1")), null, null),
                new AgentEntry.Hints(bin, null, null, 0, false, true, null, Map.of("DEFAULT", "d"), null, 0, false, false, null));
    }

    @Test
    void installsResolvesTheEntryPointAndRunsIt() throws Exception {
        AgentInstaller installer = new AgentInstaller(home);
        AgentEntry fake = entry("fake", tarball.toString(), null);
        List<InstallProgress> events = new CopyOnWriteArrayList<>();

        assertThat(installer.isInstalled(fake)).isFalse();
        InstalledAgent agent = installer.install(fake, events::add);

        assertThat(agent.dir()).isEqualTo(home.resolve("agents/fake/1.0.0"));
        assertThat(agent.bin()).isEqualTo(agent.dir().resolve("node_modules/.bin/fake-agent"));
        assertThat(agent.args()).containsExactly("--acp");
        assertThat(agent.env()).containsEntry("X", "1").containsEntry("DEFAULT", "d");
        assertThat(events.getFirst().phase()).isEqualTo(InstallProgress.Phase.STARTING);
        assertThat(events.getLast().phase()).isEqualTo(InstallProgress.Phase.DONE);
        assertThat(events).extracting(InstallProgress::percent).isSorted();
        assertThat(installer.isInstalled(fake)).isTrue();
        try (Stream<Path> s = Files.list(home.resolve("agents/fake"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1.0.0", ".1.0.0.lock");
        }

        Process p = new ProcessBuilder(agent.command()).redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("fake --acp\n");
    }

    @Test
    void secondInstallIsANoOp() {
        AgentInstaller installer = new AgentInstaller(home);
        AgentEntry fake = entry("fake", tarball.toString(), "fake-agent");
        InstalledAgent first = installer.install(fake, InstallListener.NONE);
        List<InstallProgress> events = new CopyOnWriteArrayList<>();

        InstalledAgent second = new AgentInstaller(home).install(fake, events::add);

        assertThat(second).isEqualTo(first);
        assertThat(events).extracting(InstallProgress::phase).containsExactly(InstallProgress.Phase.ALREADY_INSTALLED);
    }

    @Test
    void concurrentInstallsShareOneNpmRun() throws Exception {
        AgentEntry fake = entry("fake", tarball.toString(), null);
        List<InstallProgress> events = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<InstalledAgent>> results = Stream.generate(() -> pool.submit(() -> {
                go.await();
                // A new installer per caller: sharing must not depend on using one instance.
                return new AgentInstaller(home).install(fake, events::add);
            })).limit(4).toList();
            go.countDown();
            for (Future<InstalledAgent> f : results) assertThat(f.get().bin()).isExecutable();
        }
        assertThat(events).filteredOn(e -> e.phase() == InstallProgress.Phase.STARTING).hasSize(1);
    }

    @Test
    void failedInstallLeavesNothingBehind() throws IOException {
        AgentInstaller installer = new AgentInstaller(home);
        AgentEntry broken = entry("broken", packDir.resolve("missing-1.0.0.tgz").toString(), null);

        assertThatThrownBy(() -> installer.install(broken, InstallListener.NONE))
                .isInstanceOf(AgentInstallException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("last output");

        try (Stream<Path> s = Files.list(home.resolve("agents/broken"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(".1.0.0.lock");
        }
        assertThat(installer.isInstalled(broken)).isFalse();
    }

    @Test
    void missingEntryPointFailsAndCleansUp() throws IOException {
        AgentInstaller installer = new AgentInstaller(home);
        AgentEntry wrongBin = entry("wrongbin", tarball.toString(), "no-such-bin");

        assertThatThrownBy(() -> installer.install(wrongBin, InstallListener.NONE))
                .isInstanceOf(AgentInstallException.class)
                .hasMessageContaining("no-such-bin");
        try (Stream<Path> s = Files.list(home.resolve("agents/wrongbin"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(".1.0.0.lock");
        }
    }

    @Test
    void refusesUnpinnedPackages() {
        AgentInstaller installer = new AgentInstaller(home);
        assertThatThrownBy(() -> installer.install(entry("latest", "opencode-ai@latest", null), InstallListener.NONE))
                .isInstanceOfSatisfying(CorralException.class, e -> assertThat(e.code()).isEqualTo("not_pinned"));
        assertThat(home.resolve("agents")).doesNotExist();
    }
}
