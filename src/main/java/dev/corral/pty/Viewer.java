package dev.corral.pty;

/**
 * Receives the output of a {@link Terminal} after {@link Terminal#attach(long, Viewer)}.
 *
 * <p>Each viewer is called on virtual threads, one event at a time, in the order described by {@link TerminalEvent}.
 * A viewer may block (for example on a network send): that slows only this viewer, never the terminal or other
 * viewers. Where sends can be made without blocking, an {@link AsyncViewer} saves the thread hand-off per event. A viewer that falls more than the configured lag budget behind the live output is
 * skipped forward and told so by a new {@link TerminalEvent.Replay}. If {@link #onEvent} throws, the subscription
 * ends and the viewer gets no further events.
 */
@FunctionalInterface
public interface Viewer {

    void onEvent(TerminalEvent event) throws Exception;
}
