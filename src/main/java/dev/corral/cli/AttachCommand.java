package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attach", description = {"Interactive shell in a workspace's sandbox, in this terminal.",
        "Without --terminal a new terminal (a login bash in /workspace) is opened, sized to this window.",
        "Ctrl-] detaches and leaves the shell running; re-attach with --terminal to see its history.",
        "A dropped connection is re-established from the last byte received."})
final class AttachCommand implements Callable<Integer> {
    /** Ctrl-]: the telnet escape, free in shells and editors. */
    static final int DETACH_KEY = 0x1d;

    @Parameters(paramLabel = "ID", description = "Workspace id or name.")
    String workspace;

    @Option(names = "--terminal", paramLabel = "TID", description = "Attach to this terminal (see GET …/terminals) instead of opening one.")
    String terminalId;

    @Option(names = "--command", paramLabel = "LINE", description = "For a new terminal: run this shell line instead of a login shell.")
    String command;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() throws Exception {
        ApiClient api = client.client();
        try (Terminal tty = TerminalBuilder.builder().system(true).build()) {
            var size = tty.getSize();
            int cols = size.getColumns() > 0 ? size.getColumns() : 80;
            int rows = size.getRows() > 0 ? size.getRows() : 24;
            String wsId = api.get("/api/v1/workspaces/" + workspace).path("id").asText();
            if (terminalId == null) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("cols", cols);
                body.put("rows", rows);
                if (command != null) body.put("command", command);
                terminalId = api.post("/api/v1/workspaces/" + wsId + "/terminals", body).path("terminalId").asText();
            } else {
                api.get("/api/v1/workspaces/" + wsId + "/terminals/" + terminalId); // a clear 404 before raw mode
            }
            String url = api.base().replaceFirst("^http", "ws") + "/api/v1/workspaces/" + wsId + "/terminals/" + terminalId;
            OutputStream out = tty.output();
            var sink = new TerminalClient.Sink() {
                @Override
                public void output(byte[] bytes) throws IOException {
                    out.write(bytes);
                    out.flush();
                }

                @Override
                public void gap(long from, long to) {
                    note(out, "[" + (to - from) + " bytes of output were dropped before they reached you]");
                }

                @Override
                public void reconnecting(String why) {
                    note(out, "[" + why + "; reconnecting…]");
                }
            };
            Attributes saved = tty.enterRawMode();
            try (var session = new TerminalClient(url, api.token(), 0, sink).start()) {
                session.resize(cols, rows);
                tty.handle(Terminal.Signal.WINCH, s -> {
                    var now = tty.getSize();
                    if (now.getColumns() > 0 && now.getRows() > 0) session.resize(now.getColumns(), now.getRows());
                });
                Thread.ofPlatform().daemon().name("attach-input").start(() -> pumpInput(tty.input(), session));
                var end = session.onEnd().get();
                tty.setAttributes(saved);
                return switch (end) {
                    case TerminalClient.End.Exited e -> {
                        note(out, "[the shell exited with code " + e.code() + "]");
                        yield 0;
                    }
                    case TerminalClient.End.Closed c -> {
                        note(out, "[detached; the shell keeps running. Re-attach with: corral attach " + workspace
                                + " --terminal " + terminalId + "]");
                        yield 0;
                    }
                    case TerminalClient.End.Failed f -> throw new CliException(f.message());
                };
            } finally {
                tty.setAttributes(saved);
            }
        }
    }

    /** Forwards keystrokes until the detach key; that and everything after it in the same read stay local. */
    private static void pumpInput(InputStream in, TerminalClient session) {
        var buffer = new byte[4096];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int detach = indexOf(buffer, n, DETACH_KEY);
                if (detach >= 0) {
                    if (detach > 0) session.send(Arrays.copyOf(buffer, detach));
                    session.close();
                    return;
                }
                if (n > 0) session.send(Arrays.copyOf(buffer, n));
            }
        } catch (IOException e) {
            // the local terminal is gone
        }
        session.close();
    }

    private static int indexOf(byte[] bytes, int length, int b) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == b) return i;
        }
        return -1;
    }

    private static void note(OutputStream out, String text) {
        try {
            out.write(("\r\n" + text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // nothing left to tell
        }
    }
}
