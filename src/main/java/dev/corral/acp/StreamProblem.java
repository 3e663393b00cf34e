package dev.corral.acp;

/**
 * Something wrong on an agent's stdout that the connection survived. Reported to
 * {@link ConnectionListener#onProblem(StreamProblem)}; reading always continues at the next line.
 */
public sealed interface StreamProblem {

    /** The 1-based number of the line on the agent's stdout where the problem was seen. */
    long lineNumber();

    /** A line that is not a JSON-RPC message (a log line, a stack trace, binary junk). It was skipped. */
    record Garbage(long lineNumber, String line, String reason) implements StreamProblem {}

    /** A line longer than the configured cap. Its bytes were discarded as they arrived; nothing of it was kept. */
    record OversizedLine(long lineNumber, long bytes, long cap) implements StreamProblem {}

    /**
     * A line that is not valid UTF-8. Bad sequences were replaced by U+FFFD and the line was then processed
     * as usual, so a message with one bad byte inside a string is still delivered.
     */
    record InvalidUtf8(long lineNumber, String replacedLine) implements StreamProblem {}

    /** A response whose id matches no pending call: it came after a cancel or a deadline, or the agent invented it. */
    record UnmatchedResponse(long lineNumber, String raw) implements StreamProblem {}
}
