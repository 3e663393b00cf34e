package dev.corral.pty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ByteRingTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(ByteRing.Slice slice) {
        return new String(slice.bytes(), StandardCharsets.US_ASCII);
    }

    @Test
    void emptyRingReadsNothing() {
        var ring = new ByteRing(8);
        assertThat(ring.oldest()).isZero();
        assertThat(ring.end()).isZero();
        var slice = ring.read(0, 100);
        assertThat(slice.start()).isZero();
        assertThat(slice.end()).isZero();
        assertThat(slice.isEmpty()).isTrue();
    }

    @Test
    void defaultCapacityIsOneMebibyte() {
        assertThat(new ByteRing().capacity()).isEqualTo(1 << 20);
    }

    @Test
    void readsFromAnyOffsetWithinKeptBytes() {
        var ring = new ByteRing(16);
        ring.append(ascii("hello "));
        ring.append(ascii("world"));
        assertThat(ring.end()).isEqualTo(11);
        assertThat(text(ring.read(0, 100))).isEqualTo("hello world");
        var slice = ring.read(6, 3);
        assertThat(slice.start()).isEqualTo(6);
        assertThat(slice.end()).isEqualTo(9);
        assertThat(text(slice)).isEqualTo("wor");
    }

    @Test
    void wrapsAroundKeepingTheNewestBytes() {
        var ring = new ByteRing(8);
        ring.append(ascii("abcdef"));
        ring.append(ascii("ghij"));
        assertThat(ring.end()).isEqualTo(10);
        assertThat(ring.oldest()).isEqualTo(2);
        var slice = ring.read(0, 100);
        assertThat(slice.start()).isEqualTo(2);
        assertThat(slice.end()).isEqualTo(10);
        assertThat(text(slice)).isEqualTo("cdefghij");
        // a read that itself crosses the physical end of the array
        assertThat(text(ring.read(5, 4))).isEqualTo("fghi");
    }

    @Test
    void oneAppendLargerThanCapacityKeepsItsTail() {
        var ring = new ByteRing(4);
        ring.append(ascii("xy"));
        ring.append(ascii("0123456789"));
        assertThat(ring.end()).isEqualTo(12);
        assertThat(ring.oldest()).isEqualTo(8);
        assertThat(text(ring.read(0, 100))).isEqualTo("6789");
    }

    @Test
    void readAtOrPastEndIsEmptyAtEnd() {
        var ring = new ByteRing(8);
        ring.append(ascii("abc"));
        assertThat(ring.read(3, 10).isEmpty()).isTrue();
        var beyond = ring.read(99, 10);
        assertThat(beyond.start()).isEqualTo(3);
        assertThat(beyond.isEmpty()).isTrue();
    }

    @Test
    void appendHonoursOffsetAndLength() {
        var ring = new ByteRing(8);
        assertThat(ring.append(ascii("--abc--"), 2, 3)).isEqualTo(3);
        assertThat(text(ring.read(0, 8))).isEqualTo("abc");
        assertThatThrownBy(() -> ring.append(ascii("ab"), 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void manyWrapsKeepOffsetsConsistent() {
        var ring = new ByteRing(7);
        var all = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            String chunk = Integer.toString(i % 10).repeat(i % 5 + 1);
            all.append(chunk);
            ring.append(ascii(chunk));
            var slice = ring.read(0, 7);
            assertThat(slice.end()).isEqualTo(all.length());
            assertThat(text(slice)).isEqualTo(all.substring((int) slice.start()));
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new ByteRing(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ByteRing(4).read(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
