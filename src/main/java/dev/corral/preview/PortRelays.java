package dev.corral.preview;

import dev.corral.CorralException;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import dev.corral.workspace.ExecRequest;
import dev.corral.workspace.WorkspaceService;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reaches TCP ports inside a workspace's sandbox without sharing its network namespace: per port, a {@code socat}
 * inside the sandbox listens on a Unix socket under {@code /run/corral/fwd} (the host's {@code CORRAL_HOME/run/<ws>/fwd})
 * and connects to {@code 127.0.0.1:<port>}; the daemon connects to that socket. Relays start on first use and end
 * with the sandbox. Thread-safe.
 */
public final class PortRelays implements WorkspaceService.Listener {
    private static final String PREFIX = "preview-";

    private record Relay(Sandbox sandbox, Process process, Path socket, long startedNanos) {}

    /** One TCP port listening inside a sandbox. */
    public record ListeningPort(int port, String address, String process) {}

    private final Path home;
    private final WorkspaceService workspaces;
    private final Map<String, Relay> relays = new ConcurrentHashMap<>();

    public PortRelays(Path home, WorkspaceService workspaces) {
        this.home = home;
        this.workspaces = workspaces;
    }

    /**
     * A new connection to {@code port} inside the workspace's sandbox. The connection succeeds even when nothing
     * listens there; the relay then closes it at once.
     *
     * @throws CorralException 409 when the workspace is not running, 400 for a bad port, 502-like 503 when the relay fails
     */
    public SocketChannel connect(String workspace, int port) {
        checkPort(port);
        String id = workspaces.get(workspace).id();
        Sandbox sandbox = workspaces.sandbox(id);
        Relay relay = relays.compute(id + ":" + port, (k, old) ->
                old != null && old.sandbox() == sandbox && old.process().isAlive() && Files.exists(old.socket())
                        ? old : start(id, sandbox, port, old));
        // socat creates the socket file when it binds, a moment before it listens: a fresh relay may refuse briefly.
        long deadline = relay.startedNanos() + 3_000_000_000L;
        while (true) {
            try {
                var ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(relay.socket()));
                    return ch;
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !relay.process().isAlive()) {
                    throw new CorralException(CorralException.Kind.UNAVAILABLE, "relay_failed",
                            "cannot reach port " + port + " inside the sandbox: " + e.getMessage());
                }
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        }
    }

    static void checkPort(int port) {
        if (port < 1 || port > 65535) throw CorralException.badRequest("invalid_port", "port must be between 1 and 65535");
    }

    private Relay start(String id, Sandbox sandbox, int port, Relay old) {
        if (old != null) {
            // Kill the old socat itself (not only its launcher), so it cannot unlink the new relay's socket on exit.
            if (old.sandbox() == sandbox && old.process().isAlive()) {
                try {
                    sandbox.signal(old.process(), "KILL");
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
            old.process().destroyForcibly();
        }
        Path socket = home.resolve("run").resolve(id).resolve("fwd").resolve(PREFIX + port + ".sock");
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // socat replaces it (unlink-early)
        }
        String inside = "/run/corral/fwd/" + PREFIX + port + ".sock";
        Process p = sandbox.spawn(new SandboxCommand(List.of("socat", "UNIX-LISTEN:" + inside + ",fork,reuseaddr,unlink-early",
                "TCP:127.0.0.1:" + port), SandboxSpec.WORKSPACE, Map.of()), true);
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // nothing to close
        }
        Thread.ofVirtual().start(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // relay ended
            }
        });
        // socat binds within milliseconds; waiting here keeps the first connection from racing it.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new CorralException(CorralException.Kind.UNAVAILABLE, "relay_failed",
                        "the relay to port " + port + " did not start inside the sandbox (is socat installed?)");
            }
            try {
                pause();
            } catch (CorralException e) {
                p.destroyForcibly();
                throw e;
            }
        }
        return new Relay(sandbox, p, socket, System.nanoTime());
    }

    @Override
    public void stopping(String workspaceId) {
        relays.entrySet().removeIf(e -> {
            if (!e.getKey().startsWith(workspaceId + ":")) return false;
            e.getValue().process().destroyForcibly();
            return true;
        });
    }

    /** TCP ports listening inside the sandbox, from its /proc/net/tcp{,6}; Corral's own relays are left out. */
    public List<ListeningPort> listening(String workspace) {
        // One exec: the socket tables, then "inode pid name cmdline" for each socket a process holds.
        String script = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo '--'; "
                + "for p in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null); n=$(cat $p/comm 2>/dev/null); "
                + "for f in $p/fd/*; do l=$(readlink $f 2>/dev/null); case \"$l\" in socket:*) "
                + "i=${l#socket:[}; echo \"${i%]} $n $c\";; esac; done; done";
        var r = workspaces.exec(workspace, new ExecRequest(List.of("/bin/sh", "-c", script), null, "/", null, null, 10_000L));
        String[] halves = r.stdout().split("\n--\n", 2);
        var owners = new TreeMap<String, String>();
        Set<String> relayInodes = new HashSet<>();
        if (halves.length > 1) {
            for (String line : halves[1].split("\n")) {
                String[] f = line.trim().split(" ", 3);
                if (f.length < 2) continue;
                owners.putIfAbsent(f[0], f[1]);
                if (f.length > 2 && f[1].equals("socat") && f[2].contains("/run/corral/fwd")) relayInodes.add(f[0]);
            }
        }
        var ports = new TreeMap<Integer, ListeningPort>();
        for (String line : halves[0].split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[3].equals("0A")) continue;
            String[] local = f[1].split(":");
            if (local.length != 2) continue;
            int port = Integer.parseInt(local[1], 16);
            if (relayInodes.contains(f[9])) continue;
            ports.putIfAbsent(port, new ListeningPort(port, address(local[0]), owners.get(f[9])));
        }
        return new ArrayList<>(ports.values());
    }

    /** The address of a /proc/net/tcp entry (IPv4 little-endian hex; IPv6 shown as "::" or "::1" or "ipv6"). */
    static String address(String hex) {
        if (hex.length() == 8) {
            long v = Long.parseLong(hex, 16);
            return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
        }
        if (hex.matches("0+")) return "::";
        if (hex.equals("00000000000000000000000001000000")) return "::1";
        return "ipv6:" + hex;
    }
}
