package dev.corral.pty;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A viewer that records every event; thread-safe reads for assertions. */
class RecordingViewer implements Viewer {

    private final List<TerminalEvent> events = new ArrayList<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private long position = -1;
    private AssertionError broken;

    @Override
    public synchronized void onEvent(TerminalEvent event) {
        events.add(event);
        switch (event) {
            case TerminalEvent.Replay r -> position = r.from();
            case TerminalEvent.Output o -> {
                if (o.offset() != position && broken == null) {
                    broken = new AssertionError("output at " + o.offset() + " but viewer is at " + position);
                }
                bytes.writeBytes(o.bytes());
                position = o.end();
            }
            case TerminalEvent.Exit e -> { }
        }
    }

    synchronized List<TerminalEvent> events() {
        return List.copyOf(events);
    }

    synchronized byte[] bytes() {
        return bytes.toByteArray();
    }

    synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Offset just past the last byte received. */
    synchronized long position() {
        return position;
    }

    synchronized List<TerminalEvent.Replay> replays() {
        return events.stream().filter(e -> e instanceof TerminalEvent.Replay).map(e -> (TerminalEvent.Replay) e)
                .toList();
    }

    synchronized TerminalEvent last() {
        return events.isEmpty() ? null : events.get(events.size() - 1);
    }

    /** True once the exit has arrived; fails at once if the stream so far had a gap or an overlap. */
    synchronized boolean exited() {
        if (broken != null) {
            throw broken;
        }
        return last() instanceof TerminalEvent.Exit;
    }
}
