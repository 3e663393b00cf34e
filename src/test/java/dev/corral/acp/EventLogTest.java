package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLogTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private DataSource db;
    private EventLog log;

    @BeforeEach
    void open() {
        db = TestDatabase.create(dir.resolve("corral.db"));
        log = new EventLog(db);
    }

    @AfterEach
    void close() {
        log.close();
    }

    /** Collects what a subscription delivers. */
    private static class Collector implements EventListener {
        final List<Event> events = Collections.synchronizedList(new ArrayList<>());
        final AtomicReference<Throwable> ended = new AtomicReference<>();
        final AtomicBoolean endCalled = new AtomicBoolean();

        @Override
        public void onEvent(Event event) {
            events.add(event);
        }

        @Override
        public void onEnd(Throwable cause) {
            ended.set(cause);
            endCalled.set(true);
        }

        List<Long> seqs() {
            synchronized (events) {
                return events.stream().map(Event::seq).toList();
            }
        }
    }

    private static List<Long> range(long afterSeq, long last) {
        return LongStream.rangeClosed(afterSeq + 1, last).boxed().toList();
    }

    @Test
    void appendNumbersEachSessionFromOneAndStoresDataVerbatim() {
        String odd = "{ \"sessionUpdate\" : \"_vendor/x\", \"n\": 1.50, \"s\": \"\\u00e9\uD83D\uDC0E\" }";
        Instant before = Instant.now();

        Event a1 = log.append("a", EventType.USER_PROMPT, "{\"text\":\"hi\"}");
        Event b1 = log.append("b", EventType.AGENT_STATE, "\"starting\"");
        Event a2 = log.append("a", EventType.SESSION_UPDATE, odd);

        assertThat(List.of(a1.seq(), b1.seq(), a2.seq())).containsExactly(1L, 1L, 2L);
        assertThat(a1.at()).isBetween(before.minusSeconds(1), Instant.now());
        assertThat(log.read("a", 0, 10)).containsExactly(a1, a2);
        assertThat(log.read("a", 1, 10)).singleElement().extracting(Event::data).isEqualTo(odd);
        assertThat(log.read("a", 0, 1)).containsExactly(a1);
        assertThat(log.read("nobody", 0, 10)).isEmpty();
        assertThat(log.lastSeq("a")).isEqualTo(2);
    }

    @Test
    void concurrentAppendsAreGapFreeAndKeepEachCallersOrder() throws Exception {
        int threads = 32;
        int perThread = 1000;
        List<String> sessions = List.of("s1", "s2", "s3");
        var threadList = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            threadList.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    log.append(sessions.get((id + i) % 3), EventType.SESSION_UPDATE,
                            "{\"t\":" + id + ",\"i\":" + i + "}");
                }
            }));
        }
        for (Thread t : threadList) {
            t.join();
        }

        int total = 0;
        var seen = new HashSet<String>();
        for (String s : sessions) {
            List<Event> events = log.read(s, 0, Integer.MAX_VALUE);
            total += events.size();
            assertThat(events).extracting(Event::seq).containsExactlyElementsOf(range(0, events.size()));
            var lastIndexOfThread = new HashMap<String, Integer>();
            for (Event e : events) {
                assertThat(seen.add(e.data())).as("duplicate %s", e.data()).isTrue();
                String thread = e.data().replaceAll(",\"i\":.*", "");
                int i = Integer.parseInt(e.data().replaceAll(".*\"i\":(\\d+)}", "$1"));
                assertThat(i).isGreaterThan(lastIndexOfThread.getOrDefault(thread, -1));
                lastIndexOfThread.put(thread, i);
            }
        }
        assertThat(total).isEqualTo(threads * perThread);
    }

    @Test
    void seqsContinueAfterReopening() {
        log.append("a", EventType.USER_PROMPT, "{}");
        log.append("a", EventType.TURN_END, "{\"stopReason\":\"end_turn\"}");
        log.close();

        log = new EventLog(db);

        assertThat(log.append("a", EventType.USER_PROMPT, "{}").seq()).isEqualTo(3);
        assertThat(log.read("a", 0, 10)).extracting(Event::type)
                .containsExactly(EventType.USER_PROMPT, EventType.TURN_END, EventType.USER_PROMPT);
    }

    @Test
    void subscribeDeliversReplayThenLiveWithoutGapOrDuplicateWhileAppendsRace() throws Exception {
        int total = 20_000;
        var appender = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < total; i++) {
                log.appendAsync("s", EventType.SESSION_UPDATE, "{\"i\":" + i + "}");
                if (i % 64 == 0) {
                    log.append("s", EventType.SESSION_UPDATE, "{\"sync\":" + i + "}");
                }
            }
        });
        var collectors = new ArrayList<Collector>();
        var afterSeqs = new ArrayList<Long>();
        // Subscribe repeatedly while the appender runs, each from wherever the log is at that moment.
        while (appender.isAlive() || collectors.size() < 5) {
            var c = new Collector();
            long after = collectors.size() % 2 == 0 ? 0 : Math.max(0, log.lastSeq("s") - 7);
            log.subscribe("s", after, c);
            collectors.add(c);
            afterSeqs.add(after);
            if (collectors.size() >= 40) {
                break;
            }
        }
        appender.join();
        long last = log.append("s", EventType.TURN_END, "{}").seq();

        for (int k = 0; k < collectors.size(); k++) {
            Collector c = collectors.get(k);
            long after = afterSeqs.get(k);
            await().atMost(WAIT).until(() -> c.events.size() >= last - after);
            assertThat(c.seqs()).as("subscriber %d after %d", k, after).isEqualTo(range(after, last));
        }
        assertThat(collectors.size()).isGreaterThan(5);
    }

    @Test
    void batchesHandedToTheListenerAreConsecutiveRunsEvenWhenItsQueueOverflows() throws Exception {
        log.close();
        log = new EventLog(db, new EventLog.Options(4096, 65_536, 32));
        var batches = Collections.synchronizedList(new ArrayList<List<Long>>());
        var c = new Collector() {
            @Override
            public void onEvents(List<Event> events) {
                batches.add(events.stream().map(Event::seq).toList());
                if (batches.size() % 3 == 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(2_000_000); // falls behind now and then
                }
                super.onEvents(events);
            }
        };
        for (int i = 0; i < 100; i++) {
            log.appendAsync("s", EventType.SESSION_UPDATE, "{\"before\":" + i + "}");
        }
        Subscription sub = log.subscribe("s", 0, c);
        int total = 20_000;
        for (int i = 0; i < total; i++) {
            var f = log.appendAsync("s", EventType.SESSION_UPDATE, "{\"i\":" + i + "}");
            if (i % 500 == 0) f.join();
        }
        long last = log.append("s", EventType.TURN_END, "{}").seq();

        await().atMost(WAIT).until(() -> c.events.size() >= last);
        assertThat(c.seqs()).isEqualTo(range(0, last));
        assertThat(batches).allSatisfy(b -> {
            assertThat(b).isNotEmpty();
            assertThat(b).isEqualTo(range(b.get(0) - 1, b.get(b.size() - 1)));
        });
        assertThat(batches.size()).as("events come in batches").isLessThan((int) last);
        assertThat(((LiveSubscription) sub).overflows()).isPositive();
        assertThat(sub.lastDeliveredSeq()).isEqualTo(last);
    }

    @Test
    void slowSubscriberStallsNeitherAppendsNorOtherSubscribers() throws Exception {
        log.close();
        log = new EventLog(db, new EventLog.Options(4096, 65_536, 16));
        var release = new CountDownLatch(1);
        var slow = new Collector() {
            @Override
            public void onEvent(Event event) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                super.onEvent(event);
            }
        };
        var fast = new Collector();
        Subscription slowSub = log.subscribe("s", 0, slow);
        log.subscribe("s", 0, fast);

        int total = 5000;
        for (int i = 0; i < total; i++) {
            log.append("s", EventType.SESSION_UPDATE, "{\"i\":" + i + "}");
        }

        // All appends returned and the fast subscriber has everything while the slow one is stuck on event 1.
        await().atMost(WAIT).until(() -> fast.events.size() == total);
        assertThat(fast.seqs()).isEqualTo(range(0, total));
        assertThat(slow.events).isEmpty();
        assertThat(((LiveSubscription) slowSub).overflows()).isPositive();

        release.countDown();
        await().atMost(WAIT).until(() -> slow.events.size() >= total);
        assertThat(slow.seqs()).isEqualTo(range(0, total));
        log.append("s", EventType.TURN_END, "{}");
        await().atMost(WAIT).until(() -> slow.events.size() == total + 1 && fast.events.size() == total + 1);
        assertThat(slowSub.lastDeliveredSeq()).isEqualTo(total + 1);
    }

    @Test
    void theWalIsCopiedIntoTheDatabaseOffTheWriterThread() throws Exception {
        Path file = dir.resolve("corral.db");
        long before = java.nio.file.Files.size(file);
        String data = "{\"pad\":\"" + "x".repeat(1000) + "\"}";
        for (int i = 0; i < 3 * WalCheckpointer.COMMITS_PER_CHECKPOINT; i++) {
            log.append("s", EventType.SESSION_UPDATE, data); // one commit each
        }

        // The writer's connection never checkpoints (wal_autocheckpoint=0): only the checkpointer's thread can
        // have moved the pages into the database file.
        await().atMost(WAIT).until(() -> java.nio.file.Files.size(file) > before + 500 * 1000);
        assertThat(log.read("s", 0, Integer.MAX_VALUE)).hasSize(3 * WalCheckpointer.COMMITS_PER_CHECKPOINT);
    }

    @Test
    void closingASubscriptionStopsDeliveryAndReportsTheEnd() {
        var c = new Collector();
        Subscription sub = log.subscribe("s", 0, c);
        log.append("s", EventType.AGENT_STATE, "\"ready\"");
        await().atMost(WAIT).until(() -> c.events.size() == 1);

        sub.close();
        await().atMost(WAIT).untilTrue(c.endCalled);
        log.append("s", EventType.AGENT_STATE, "\"stopped\"");

        assertThat(sub.isOpen()).isFalse();
        assertThat(c.ended.get()).isNull();
        assertThat(c.events).hasSize(1);
    }

    @Test
    void listenerThatThrowsEndsOnlyItsOwnSubscription() {
        var boom = new IllegalStateException("viewer went away");
        var bad = new Collector() {
            @Override
            public void onEvent(Event event) {
                throw boom;
            }
        };
        var good = new Collector();
        Subscription badSub = log.subscribe("s", 0, bad);
        log.subscribe("s", 0, good);

        log.append("s", EventType.ERROR, "{\"message\":\"x\"}");
        log.append("s", EventType.ERROR, "{\"message\":\"y\"}");

        await().atMost(WAIT).untilTrue(bad.endCalled);
        assertThat(bad.ended.get()).isSameAs(boom);
        assertThat(badSub.isOpen()).isFalse();
        await().atMost(WAIT).until(() -> good.events.size() == 2);
    }

    @Test
    void closedLogRefusesAppendsAndEndsSubscriptions() {
        var c = new Collector();
        log.subscribe("s", 0, c);
        Event e = log.append("s", EventType.USER_PROMPT, "{}");
        await().atMost(WAIT).until(() -> c.events.size() == 1);

        log.close();

        assertThatThrownBy(() -> log.append("s", EventType.USER_PROMPT, "{}"))
                .isInstanceOf(EventLogException.class).hasMessageContaining("closed");
        await().atMost(WAIT).untilTrue(c.endCalled);
        assertThat(c.events).containsExactly(e);
    }
}
