package dev.corral.pty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.corral.CorralException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TerminalManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private TerminalManager manager = new TerminalManager("ws1", TerminalConfig.defaults().withMaxPerWorkspace(2));

    @AfterEach
    void stop() {
        manager.close();
    }

    @Test
    void createsListsAndFindsTerminals() {
        Instant before = Instant.now();
        var a = manager.create(Commands.bash(), 100, 30, "my shell");
        var b = manager.create(Commands.bash(), 80, 24, null);
        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(manager.get(a.id())).isSameAs(a);

        var infos = manager.list();
        assertThat(infos).extracting(TerminalInfo::id).containsExactly(a.id(), b.id());
        var info = infos.get(0);
        assertThat(info.title()).isEqualTo("my shell");
        assertThat(info.cols()).isEqualTo(100);
        assertThat(info.rows()).isEqualTo(30);
        assertThat(info.alive()).isTrue();
        assertThat(info.exitCode()).isNull();
        assertThat(info.createdAt()).isAfterOrEqualTo(before);
        assertThat(infos.get(1).title()).isEqualTo("bash");

        a.write("echo hi\n".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> manager.list().get(0).endOffset() > 0);
    }

    @Test
    void unknownTerminalIsNotFound() {
        assertThatThrownBy(() -> manager.get("nope"))
                .isInstanceOf(TerminalException.class)
                .hasMessageContaining("nope")
                .extracting(e -> ((CorralException) e).kind()).isEqualTo(CorralException.Kind.NOT_FOUND);
        assertThatThrownBy(() -> manager.close("nope")).isInstanceOf(TerminalException.class);
    }

    @Test
    void refusesMoreThanTheCapOfLiveTerminals() {
        manager.create(Commands.bash(), 80, 24, null);
        manager.create(Commands.bash(), 80, 24, null);
        assertThatThrownBy(() -> manager.create(Commands.bash(), 80, 24, null))
                .isInstanceOf(TerminalException.class)
                .hasMessageContaining("maximum of 2")
                .extracting(e -> ((CorralException) e).kind()).isEqualTo(CorralException.Kind.TOO_MANY);
    }

    @Test
    void exitedTerminalsMakeRoomForNewOnes() {
        var done = manager.create(Commands.sh("exit 0"), 80, 24, null);
        manager.create(Commands.bash(), 80, 24, null);
        assertThat(done.onExit()).succeedsWithin(WAIT);
        var third = manager.create(Commands.bash(), 80, 24, null);
        assertThat(manager.list()).extracting(TerminalInfo::id).doesNotContain(done.id()).contains(third.id());
    }

    @Test
    void exitedTerminalIsKeptForTheGracePeriodThenReaped() {
        manager.close();
        manager = new TerminalManager("ws1", TerminalConfig.defaults().withExitGrace(Duration.ofMillis(500)));
        var t = manager.create(Commands.sh("exit 5"), 80, 24, null);
        assertThat(t.onExit()).succeedsWithin(WAIT);
        var info = manager.list().get(0);
        assertThat(info.alive()).isFalse();
        assertThat(info.exitCode()).isEqualTo(5);
        await().atMost(WAIT).until(() -> manager.list().isEmpty());
        assertThat(manager.find(t.id())).isEmpty();
    }

    @Test
    void closeKillsAndForgets() {
        var t = manager.create(Commands.bash(), 80, 24, null);
        manager.close(t.id());
        assertThat(manager.list()).isEmpty();
        assertThat(t.onExit()).succeedsWithin(WAIT);
    }

    @Test
    void closeAllKillsEveryTerminal() {
        var a = manager.create(Commands.bash(), 80, 24, null);
        var b = manager.create(Commands.sh("sleep 1000"), 80, 24, null);
        manager.closeAll();
        assertThat(manager.list()).isEmpty();
        assertThat(a.onExit()).succeedsWithin(WAIT);
        assertThat(b.onExit()).succeedsWithin(WAIT);
        manager.create(Commands.bash(), 80, 24, null);
        manager.close();
        assertThatThrownBy(() -> manager.create(Commands.bash(), 80, 24, null))
                .isInstanceOf(TerminalException.class).hasMessageContaining("stopping");
    }

    @Test
    void badSizeIsABadRequest() {
        assertThatThrownBy(() -> manager.create(Commands.bash(), 0, 24, null))
                .isInstanceOf(TerminalException.class)
                .extracting(e -> ((CorralException) e).kind()).isEqualTo(CorralException.Kind.BAD_REQUEST);
    }

    @Test
    void aMissingProgramFailsToStartWithAClearError() {
        var command = new dev.corral.sandbox.HostCommand(java.util.List.of("/no/such/program"), Commands.ENV);
        assertThatThrownBy(() -> manager.create(command, 80, 24, null))
                .isInstanceOf(TerminalException.class)
                .hasMessageContaining("/no/such/program");
    }
}
