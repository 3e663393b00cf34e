package dev.corral.acp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Splits a byte stream into newline-terminated UTF-8 lines with a hard cap on line length. Not thread-safe:
 * one reader thread owns it. A trailing {@code \r} is dropped. An over-long line is skipped byte by byte
 * without being buffered; invalid UTF-8 is replaced by U+FFFD. Both are reported through {@link Sink}.
 */
final class LineReader {

    /** Receives what the reader finds, on the reader's thread. */
    interface Sink {
        void line(long lineNumber, String text, boolean hadInvalidUtf8);

        void oversized(long lineNumber, long bytes);

        /** The lines of one read of the stream were delivered; the next read may block. */
        default void endOfRead() {}
    }

    private final InputStream in;
    private final int cap;
    private final byte[] chunk = new byte[64 * 1024];
    private ByteArrayOutputStream current = new ByteArrayOutputStream(8 * 1024);
    private long lineNumber = 1;
    private long skipping = -1; // length so far of the over-long line being skipped, or -1

    LineReader(InputStream in, int cap) {
        this.in = in;
        this.cap = cap;
    }

    /** Reads until end of stream. A final line without a newline is delivered too. */
    void readAll(Sink sink) throws IOException {
        int n;
        while ((n = in.read(chunk)) != -1) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (chunk[i] == '\n') {
                    if (skipping < 0 && current.size() == 0 && i - start <= cap) {
                        emit(sink, lineNumber++, chunk, start, i - start); // the whole line is in this chunk
                    } else {
                        append(chunk, start, i - start);
                        endLine(sink);
                    }
                    start = i + 1;
                }
            }
            append(chunk, start, n - start);
            sink.endOfRead();
        }
        if (skipping >= 0 || current.size() > 0) {
            endLine(sink);
        }
    }

    private void append(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        if (skipping >= 0) {
            skipping += len;
        } else if (current.size() + len > cap) {
            skipping = current.size() + len;
            release();
        } else {
            current.write(b, off, len);
        }
    }

    /** Empties the buffer; one that grew large for a long line is dropped rather than kept alive. */
    private void release() {
        if (current.size() > 1024 * 1024) {
            current = new ByteArrayOutputStream(8 * 1024);
        } else {
            current.reset();
        }
    }

    private void endLine(Sink sink) {
        long number = lineNumber++;
        if (skipping >= 0) {
            long bytes = skipping;
            skipping = -1;
            sink.oversized(number, bytes);
            return;
        }
        byte[] bytes = current.toByteArray();
        release();
        emit(sink, number, bytes, 0, bytes.length);
    }

    private static void emit(Sink sink, long number, byte[] bytes, int off, int len) {
        if (len > 0 && bytes[off + len - 1] == '\r') {
            len--;
        }
        if (len == 0) {
            return;
        }
        // The lenient decoder is the fast one (and gives the same text: U+FFFD for each bad sequence); only a line
        // with a U+FFFD in it, sent or substituted, needs the strict decoder to tell which.
        String text = new String(bytes, off, len, StandardCharsets.UTF_8);
        sink.line(number, text, text.indexOf('\uFFFD') >= 0 && !isValidUtf8(bytes, off, len));
    }

    private static boolean isValidUtf8(byte[] bytes, int off, int len) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, off, len));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
