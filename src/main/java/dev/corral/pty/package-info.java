/**
 * Terminals: processes under a PTY whose output is kept in a bounded ring addressed by absolute byte offsets, so
 * that any number of viewers (WebSockets, the CLI's attach) can join, leave and rejoin at the exact byte they had.
 *
 * <p>{@link dev.corral.pty.TerminalManager} holds one workspace's {@link dev.corral.pty.Terminal}s; a terminal keeps its
 * output in a {@link dev.corral.pty.ByteRing} and hands it to each {@link dev.corral.pty.Viewer} as
 * {@link dev.corral.pty.TerminalEvent}s through a {@link dev.corral.pty.Subscription}. The PTY reader only appends to
 * the ring and wakes viewers; each viewer's virtual thread pulls at its own pace, so no viewer can hold up another or
 * the process.
 */
package dev.corral.pty;
