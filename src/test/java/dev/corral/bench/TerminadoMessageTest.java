package dev.corral.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's own decoder of terminado's messages gives the bytes a JSON library gives. */
class TerminadoMessageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void stdoutMessagesDecodeToTheTerminalsBytes() throws Exception {
        // As Python's json.dumps (ensure_ascii) writes them: everything outside ASCII escaped, \r\n, \b, quotes.
        for (String text : List.of("", "plain", "line\r\nnext\r\n", "\b \b", "q\"uo\\te/", "tab\there",
                "é ü € 漢字", "emoji \uD83D\uDE00 end", "\u0000\u001b[1;32mcolour\u001b[0m")) {
            String python = pythonDumps(List.of("stdout", text));
            byte[] wire = python.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[wire.length];
            int n = TerminalBench.stdout(wire, wire.length, out);
            String viaJackson = JSON.readTree(python).path(1).asText();
            assertThat(new String(out, 0, n, StandardCharsets.UTF_8)).isEqualTo(viaJackson).isEqualTo(text);
        }
    }

    @Test
    void otherMessagesAreNotOutput() {
        byte[] setup = "[\"setup\", {}]".getBytes(StandardCharsets.US_ASCII);
        assertThat(TerminalBench.stdout(setup, setup.length, new byte[setup.length])).isEqualTo(-1);
        byte[] disconnect = "[\"disconnect\", 1]".getBytes(StandardCharsets.US_ASCII);
        assertThat(TerminalBench.stdout(disconnect, disconnect.length, new byte[disconnect.length])).isEqualTo(-1);
    }

    /** Python's json.dumps([kind, text]) with its defaults: ", " between items, non-ASCII as \\uXXXX. */
    private static String pythonDumps(List<String> items) {
        var sb = new StringBuilder("[");
        for (int k = 0; k < items.size(); k++) {
            if (k > 0) sb.append(", ");
            sb.append('"');
            for (char c : items.get(k).toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
        return sb.append(']').toString();
    }
}
