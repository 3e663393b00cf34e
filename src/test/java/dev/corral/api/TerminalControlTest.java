package dev.corral.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.pty.TerminalSize;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TerminalControlTest {

    @Test
    void rendersServerFrames() {
        assertThat(TerminalControl.replay(3, 10)).isEqualTo("{\"type\":\"replay\",\"from\":3,\"to\":10}");
        assertThat(TerminalControl.exit(-1)).isEqualTo("{\"type\":\"exit\",\"code\":-1}");
    }

    @Test
    void parsesResize() throws Exception {
        assertThat(TerminalControl.parseResize("{\"type\":\"resize\",\"cols\":132,\"rows\":43,\"extra\":true}"))
                .isEqualTo(TerminalSize.of(132, 43));
    }

    @Test
    void refusesEverythingElseWithAReason() {
        assertBad("", "not a JSON object");
        assertBad("[1]", "not a JSON object");
        assertBad("{\"cols\":1,\"rows\":1}", "missing \"type\"");
        assertBad("{\"type\":\"reboot\"}", "unknown type \"reboot\"");
        assertBad("{\"type\":\"resize\",\"cols\":1.5,\"rows\":2}", "resize needs integer \"cols\" and \"rows\"");
        assertBad("{\"type\":\"resize\",\"cols\":99999999999,\"rows\":2}", "resize needs integer");
        assertBad("{\"type\":\"resize\",\"cols\":0,\"rows\":2}", "terminal size must be");
        assertBad("{\"type\":", "not JSON");
    }

    private static void assertBad(String frame, String reason) {
        assertThatThrownBy(() -> TerminalControl.parseResize(frame))
                .isInstanceOf(TerminalControl.BadFrame.class)
                .hasMessageContaining(reason);
    }
}
