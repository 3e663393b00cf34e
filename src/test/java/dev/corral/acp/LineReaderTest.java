package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LineReaderTest {

    private final List<String> seen = new ArrayList<>();

    private final LineReader.Sink sink = new LineReader.Sink() {
        @Override
        public void line(long number, String text, boolean hadInvalidUtf8) {
            seen.add(number + (hadInvalidUtf8 ? "!" : ":") + text);
        }

        @Override
        public void oversized(long number, long bytes) {
            seen.add(number + " oversized " + bytes);
        }
    };

    @Test
    void splitsOnNewlinesDropsCarriageReturnsAndKeepsTheLastUnterminatedLine() throws IOException {
        new LineReader(stream("a\r\n\nbc\nd"), 100).readAll(sink);

        assertThat(seen).containsExactly("1:a", "3:bc", "4:d");
    }

    @Test
    void overlongLineIsSkippedWithoutBufferingAndReadingContinues() throws IOException {
        // 200 MiB of one line through a 1 KiB cap: only possible if the line is never held in memory.
        long huge = 200L * 1024 * 1024;
        InputStream in = new InputStream() {
            long left = huge;
            boolean tailSent;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left > 0) {
                    int n = (int) Math.min(len, left);
                    java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                    left -= n;
                    return n;
                }
                if (!tailSent) {
                    tailSent = true;
                    byte[] tail = "\nnext\n".getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(tail, 0, b, off, tail.length);
                    return tail.length;
                }
                return -1;
            }
        };

        new LineReader(in, 1024).readAll(sink);

        assertThat(seen).containsExactly("1 oversized " + huge, "2:next");
    }

    @Test
    void lineExactlyAtTheCapIsKept() throws IOException {
        new LineReader(stream("abcd\nabcde\nok"), 4).readAll(sink);

        assertThat(seen).containsExactly("1:abcd", "2 oversized 5", "3:ok");
    }

    @Test
    void invalidUtf8IsReplacedAndFlagged() throws IOException {
        byte[] bytes = {'o', 'k', (byte) 0xFF, '\n', 'f', 'i', 'n', 'e', '\n'};
        new LineReader(new ByteArrayInputStream(bytes), 100).readAll(sink);

        assertThat(seen).containsExactly("1!ok\uFFFD", "2:fine");
    }

    @Test
    void aSentReplacementCharacterIsValidUtf8() throws IOException {
        new LineReader(stream("a\uFFFDb\n"), 100).readAll(sink);

        assertThat(seen).containsExactly("1:a\uFFFDb");
    }

    @Test
    void linesSplitAcrossReadsComeOutWhole() throws IOException {
        // Reads of 3 bytes: lines start and end in the middle of reads, and a 2-byte character is split.
        byte[] bytes = "ab\nc\u00e9d\r\nefghij\n\nk\n".getBytes(StandardCharsets.UTF_8);
        var in = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 3));
            }
        };
        new LineReader(in, 6).readAll(sink);

        assertThat(seen).containsExactly("1:ab", "2:c\u00e9d", "3:efghij", "5:k");
    }

    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
