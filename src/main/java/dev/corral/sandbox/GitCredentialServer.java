package dev.corral.sandbox;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers git's credential protocol ({@code key=value} lines, then a blank line) on a Unix socket bind-mounted into one
 * sandbox. The helper configured inside the sandbox pipes {@code git credential get} requests here. Only requests for
 * the credential's host over http(s) get an answer; others get an empty one, so git fails instead of prompting.
 */
final class GitCredentialServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GitCredentialServer.class);
    /** The helper command git runs inside the sandbox (through GIT_CONFIG_* variables, never a config file). */
    static final String HELPER = "!f() { test \"$1\" = get && exec socat - UNIX-CONNECT:/run/corral/fwd/git-credential.sock; }; f";

    private final String workspace;
    private final GitCredential credential;
    private final ServerSocketChannel server;
    private volatile boolean closed;

    private GitCredentialServer(String workspace, GitCredential credential, ServerSocketChannel server) {
        this.workspace = workspace;
        this.credential = credential;
        this.server = server;
    }

    static GitCredentialServer start(String workspace, Path socket, GitCredential credential) throws IOException {
        Files.deleteIfExists(socket);
        var server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        var s = new GitCredentialServer(workspace, credential, server);
        Thread.ofVirtual().name("git-credential-" + workspace).start(s::acceptLoop);
        return s;
    }

    /** The environment that makes git inside the sandbox use this server. */
    static Map<String, String> gitEnvironment() {
        return Map.of("GIT_CONFIG_COUNT", "1", "GIT_CONFIG_KEY_0", "credential.helper", "GIT_CONFIG_VALUE_0", HELPER,
                "GIT_TERMINAL_PROMPT", "0");
    }

    private void acceptLoop() {
        while (!closed) {
            try (SocketChannel c = server.accept()) {
                answer(c);
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void answer(SocketChannel c) throws IOException {
        var request = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (request.length() < 16 * 1024 && request.indexOf("\n\n") < 0) {
            buf.clear();
            if (c.read(buf) < 0) break;
            request.append(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : request.toString().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) fields.put(line.substring(0, eq), line.substring(eq + 1));
        }
        String protocol = fields.getOrDefault("protocol", "");
        String host = fields.getOrDefault("host", "");
        String reply = "\n";
        if ((protocol.equals("https") || protocol.equals("http")) && host.equalsIgnoreCase(credential.host())) {
            reply = "username=" + credential.username() + "\npassword=" + credential.token() + "\n\n";
            log.info("git credential given to workspace {} for {}://{}", workspace, protocol, host);
        } else {
            log.info("git credential refused to workspace {} for {}://{} (configured for {})", workspace, protocol, host, credential.host());
        }
        ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) c.write(out);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
