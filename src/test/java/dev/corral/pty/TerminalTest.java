package dev.corral.pty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TerminalTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<Terminal> started = new ArrayList<>();

    @AfterEach
    void killAll() {
        started.forEach(Terminal::close);
    }

    private Terminal start(dev.corral.sandbox.HostCommand command, TerminalConfig config) {
        var t = Terminal.start("t" + started.size(), command, TerminalSize.of(80, 24), null, config);
        started.add(t);
        return t;
    }

    private Terminal start(dev.corral.sandbox.HostCommand command) {
        return start(command, TerminalConfig.defaults());
    }

    @Test
    void echoesInputThroughAShell() {
        var t = start(Commands.bash());
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        t.write("echo hel''lo-$((6*7))\n".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> viewer.text().contains("hello-42"));
        assertThat(viewer.replays().get(0)).isEqualTo(new TerminalEvent.Replay(0, viewer.replays().get(0).to()));
        assertThat(t.title()).isEqualTo("bash");
        t.write("exit\n".getBytes(UTF_8));
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.last()).isEqualTo(new TerminalEvent.Exit(0));
    }

    @Test
    void setsTermAndStartsWithTheGivenSize() {
        // pty4j sets the initial size just after exec: a program that asks at once can see 0x0 (see Terminal docs)
        var t = start(Commands.sh("read x; echo \"term=$TERM\"; stty size"));
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        t.write("\n".getBytes(UTF_8));
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.text()).contains("term=xterm-256color").contains("24 80");
    }

    @Test
    void resizeIsSeenByTheProcess() {
        var t = start(Commands.bash());
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        t.resize(TerminalSize.of(123, 45));
        assertThat(t.size()).isEqualTo(TerminalSize.of(123, 45));
        t.write("stty size\n".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> viewer.text().contains("45 123"));
    }

    @Test
    void reportsTheExitCodeAfterAllOutput() {
        var t = start(Commands.sh("printf 'last words'; exit 7"));
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        assertThat(t.onExit()).succeedsWithin(WAIT).isEqualTo(7);
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.text()).endsWith("last words");
        assertThat(viewer.last()).isEqualTo(new TerminalEvent.Exit(7));
        assertThat(t.exitCode()).hasValue(7);
        assertThat(t.isAlive()).isFalse();
    }

    @Test
    void exitIsReportedWhileABackgroundJobStillHoldsThePty() {
        var t = start(Commands.sh("sleep 60 & printf 'left a job'; exit 5"));
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        assertThat(t.onExit()).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(5);
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.text()).endsWith("left a job");
    }

    @Test
    void reconnectWithAnOffsetGetsExactlyTheMissedBytes() throws Exception {
        var t = start(Commands.sh("printf 'first\\n'; read x; printf 'second\\n'; read y; printf 'third\\n'; exit 3"));
        var first = new RecordingViewer();
        var sub = t.attach(0, first);
        await().atMost(WAIT).until(() -> first.text().contains("first"));
        sub.close();
        sub.onEnd().get(20, TimeUnit.SECONDS);
        long seen = first.position();

        t.write("a\nb\n".getBytes(UTF_8));
        assertThat(t.onExit()).succeedsWithin(WAIT).isEqualTo(3);

        var again = new RecordingViewer();
        t.attach(seen, again);
        await().atMost(WAIT).until(again::exited);
        assertThat(again.replays()).containsExactly(new TerminalEvent.Replay(seen, t.endOffset()));
        assertThat(again.text()).contains("second").contains("third").doesNotContain("first");

        var whole = new RecordingViewer();
        t.attach(0, whole);
        await().atMost(WAIT).until(whole::exited);
        assertThat(first.text() + again.text()).isEqualTo(whole.text());
    }

    @Test
    void ringOverflowShowsInTheReplay() {
        var t = start(Commands.sh("head -c 5000 /dev/zero | tr '\\0' x"), TerminalConfig.defaults().withRingCapacity(1024));
        assertThat(t.onExit()).succeedsWithin(WAIT).isEqualTo(0);
        assertThat(t.endOffset()).isEqualTo(5000);
        var viewer = new RecordingViewer();
        t.attach(10, viewer);
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.replays()).containsExactly(new TerminalEvent.Replay(5000 - 1024, 5000));
        assertThat(viewer.text()).isEqualTo("x".repeat(1024));
    }

    @Test
    void aLiveViewerOfATinyRingSeesAConsistentStream() {
        // Reads of up to 4 KiB lap a 2 KiB ring before they are published: replays must still run forwards and every
        // byte a viewer gets must sit where its offset says (RecordingViewer checks that), though it may be skipped.
        var t = start(Commands.sh("read x; head -c 300000 /dev/zero | tr '\\0' x; echo; echo tiny-done"),
                TerminalConfig.defaults().withRingCapacity(2048).withViewerLagBudget(2048));
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        t.write("\n".getBytes(UTF_8));
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.replays()).allSatisfy(r -> assertThat(r.from()).isLessThanOrEqualTo(r.to()));
        assertThat(viewer.position()).isEqualTo(t.endOffset()); // it may have been skipped past "tiny-done"
    }

    @Test
    void attachBeyondTheEndStartsAtTheEnd() {
        var t = start(Commands.sh("printf abc"));
        assertThat(t.onExit()).succeedsWithin(WAIT);
        var viewer = new RecordingViewer();
        t.attach(1000, viewer);
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.events()).containsExactly(new TerminalEvent.Replay(3, 3), new TerminalEvent.Exit(0));
    }

    @Test
    void twoViewersSeeIdenticalStreams() {
        var t = start(Commands.sh("read x; seq 1 30000"));
        var a = new RecordingViewer();
        var b = new RecordingViewer();
        t.attach(0, a);
        t.attach(0, b);
        t.write("\n".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> a.exited() && b.exited());
        assertThat(a.bytes()).hasSize((int) t.endOffset()).isEqualTo(b.bytes());
        assertThat(a.text()).contains("\r\n30000\r\n");
    }

    @Test
    void aBlockedViewerDoesNotStallOthersAndIsSkippedForward() throws Exception {
        // A 4 MiB budget leaves a viewer that only copies bytes 40 ms of scheduling slack even at 100 MB/s (on two
        // busy cores a virtual thread may wait 10 ms for one), and is far below the ~6.3 MB of output.
        var config = TerminalConfig.defaults().withRingCapacity(4 << 20).withViewerLagBudget(4 << 20);
        var t = start(Commands.sh("read x; seq 1 800000"), config);
        var release = new CountDownLatch(1);
        var slow = new RecordingViewer() {
            @Override
            public void onEvent(TerminalEvent event) {
                super.onEvent(event);
                if (event instanceof TerminalEvent.Output) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        var fast = new RecordingViewer();
        t.attach(0, slow);
        t.attach(0, fast);
        t.write("\n".getBytes(UTF_8));

        await().atMost(WAIT).until(fast::exited);
        assertThat(fast.bytes()).hasSize((int) t.endOffset());
        assertThat(fast.text()).contains("\r\n800000\r\n");
        assertThat(slow.exited()).isFalse();
        long slowAt = slow.position();

        release.countDown();
        await().atMost(WAIT).until(slow::exited);
        var skip = slow.replays().get(slow.replays().size() - 1);
        assertThat(skip.from()).isGreaterThan(slowAt).isEqualTo(t.endOffset());
        assertThat(slow.last()).isEqualTo(new TerminalEvent.Exit(0));
    }

    @Test
    void inputLargerThanThePtyTakesIsQueuedAndArrivesWholeInOrder() throws Exception {
        // Raw mode and a reader that starts late: the PTY's few KiB of input room fill, and the rest has to wait.
        var t = start(Commands.sh("stty raw -echo; echo READY; sleep 0.5; head -c 200000 | md5sum"));
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        await().atMost(WAIT).until(() -> viewer.text().contains("READY"));
        var all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 40; i++) {
            var chunk = new byte[5000];
            for (int j = 0; j < chunk.length; j++) chunk[j] = (byte) ('a' + (i * 7 + j) % 26);
            all.writeBytes(chunk);
            t.write(chunk);
        }
        await().atMost(WAIT).until(viewer::exited);
        assertThat(viewer.text()).contains(md5(all.toByteArray()) + "  -");
        assertThat(viewer.last()).isEqualTo(new TerminalEvent.Exit(0));
    }

    private static String md5(byte[] bytes) throws Exception {
        var out = new StringBuilder();
        for (byte b : java.security.MessageDigest.getInstance("MD5").digest(bytes)) out.append(String.format("%02x", b));
        return out.toString();
    }

    @Test
    void aViewerThatThrowsIsDetached() {
        var t = start(Commands.bash());
        var sub = t.attach(0, event -> {
            throw new IllegalStateException("boom");
        });
        assertThat(sub.onEnd()).succeedsWithin(WAIT);
        assertThat(sub.isActive()).isFalse();
        assertThat(t.viewerCount()).isZero();
        assertThat(t.isAlive()).isTrue();
    }

    @Test
    void closeKillsTheProcessAndViewersSeeTheExit() {
        var t = start(Commands.bash());
        var viewer = new RecordingViewer();
        t.attach(0, viewer);
        t.close();
        assertThat(t.onExit()).succeedsWithin(WAIT);
        await().atMost(WAIT).until(viewer::exited);
        assertThat(t.isAlive()).isFalse();
    }
}
