package dev.corral.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class OutputLogTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void readsByAbsoluteOffsetAcrossWrapAround() {
        var log = new OutputLog(8);
        log.append(b("abcdef"), 0, 6);
        assertThat(new String(log.read(2, 100).bytes())).isEqualTo("cdef");
        log.append(b("ghijk"), 0, 5);
        assertThat(log.end()).isEqualTo(11);
        assertThat(log.oldest()).isEqualTo(3);
        var s = log.read(0, 100);
        assertThat(s.from()).isEqualTo(3);
        assertThat(new String(s.bytes())).isEqualTo("defghijk");
        assertThat(new String(log.read(9, 1).bytes())).isEqualTo("j");
        assertThat(log.read(11, 5).bytes()).isEmpty();
        assertThat(log.read(50, 5).from()).isEqualTo(11);
    }

    @Test
    void appendLargerThanCapacityKeepsTheTail() {
        var log = new OutputLog(4);
        log.append(b("0123456789"), 0, 10);
        var s = log.read(0, 100);
        assertThat(s.from()).isEqualTo(6);
        assertThat(new String(s.bytes())).isEqualTo("6789");
    }
}
