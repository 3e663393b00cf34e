package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ACP {@code terminal/*} client methods of one agent: commands run inside the workspace's sandbox with their
 * output (stdout and stderr together) kept in memory up to the agent's {@code outputByteLimit} (default 1 MiB; the
 * oldest bytes go first, cut at a character boundary). {@code wait_for_exit} answers when the command ends, without
 * holding the connection's dispatcher. When a command has ended and its output is read to the end, the
 * {@link ExitListener} gets what the transcript keeps of it ({@code terminal_exit}), so the output outlives the terminal's
 * release. Terminal ids are random ({@code term-} and 12 hex digits): unique within a session across agent restarts.
 * Thread-safe; {@link #releaseAll()} kills whatever still runs.
 */
final class AgentTerminals {
    static final int DEFAULT_OUTPUT_LIMIT = 1024 * 1024;
    static final int MAX_TERMINALS = 64;

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Gets an ended command's record; called on the terminal's reader thread, must not throw. */
    @FunctionalInterface
    interface ExitListener {
        void ended(ObjectNode record);
    }

    private final Sandbox sandbox;
    private final ExitListener exitListener;
    private final Map<String, Term> terms = new ConcurrentHashMap<>();

    private static final class Term {
        final Process process;
        final int limit;
        final byte[] buf;
        int start;
        int size;
        boolean truncated;
        volatile String killedBy;

        Term(Process process, int limit) {
            this.process = process;
            this.limit = limit;
            this.buf = new byte[Math.max(limit, 1)];
        }

        synchronized void append(byte[] b, int n) {
            if (limit == 0) {
                truncated |= n > 0;
                return;
            }
            for (int i = 0; i < n; i++) {
                if (size == buf.length) {
                    start = (start + 1) % buf.length;
                    size--;
                    truncated = true;
                }
                buf[(start + size) % buf.length] = b[i];
                size++;
            }
        }

        synchronized String output() {
            byte[] out = new byte[size];
            for (int i = 0; i < size; i++) out[i] = buf[(start + i) % buf.length];
            int from = 0;
            if (truncated) {
                while (from < out.length && (out[from] & 0xC0) == 0x80) from++; // a cut character's tail
            }
            return new String(out, from, out.length - from, StandardCharsets.UTF_8);
        }
    }

    AgentTerminals(Sandbox sandbox, ExitListener exitListener) {
        this.sandbox = sandbox;
        this.exitListener = exitListener;
    }

    void create(JsonRpcMessage.Request req, Responder r) {
        JsonNode p = req.params();
        String command = p.path("command").asText("");
        if (command.isEmpty()) {
            r.fail(JsonRpcErrors.INVALID_PARAMS, "command is required", null);
            return;
        }
        if (terms.size() >= MAX_TERMINALS) {
            r.fail(JsonRpcErrors.INTERNAL_ERROR, "too many terminals (" + MAX_TERMINALS + "); release some", null);
            return;
        }
        List<String> argv = new ArrayList<>();
        argv.add(command);
        p.path("args").forEach(a -> argv.add(a.asText()));
        Map<String, String> env = new HashMap<>();
        p.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        String cwd = p.path("cwd").isTextual() ? p.path("cwd").asText() : SandboxSpec.WORKSPACE;
        if (!cwd.startsWith("/")) {
            r.fail(JsonRpcErrors.INVALID_PARAMS, "cwd must be an absolute path", null);
            return;
        }
        int limit = p.path("outputByteLimit").canConvertToInt() ? Math.max(0, p.path("outputByteLimit").asInt()) : DEFAULT_OUTPUT_LIMIT;
        Process process;
        try {
            process = sandbox.spawn(new SandboxCommand(argv, cwd, env), true);
        } catch (RuntimeException e) {
            r.fail(JsonRpcErrors.INTERNAL_ERROR, "cannot start " + command + ": " + e.getMessage(), null);
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // no input either way
        }
        byte[] raw = new byte[6];
        RANDOM.nextBytes(raw);
        String id = "term-" + java.util.HexFormat.of().formatHex(raw);
        Term t = new Term(process, Math.min(limit, 64 * 1024 * 1024));
        terms.put(id, t);
        Thread.ofVirtual().name("terminal-" + id).start(() -> {
            byte[] b = new byte[8192];
            try (InputStream in = process.getInputStream()) {
                int n;
                while ((n = in.read(b)) >= 0) t.append(b, n);
            } catch (IOException ignored) {
                // the process is gone
            }
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                return;
            }
            ObjectNode rec = JsonRpcConnection.JSON.createObjectNode().put("terminalId", id).put("command", command);
            var a = rec.putArray("args");
            argv.subList(1, argv.size()).forEach(a::add);
            rec.put("cwd", cwd).put("output", t.output()).put("truncated", t.truncated);
            rec.set("exitStatus", exitStatus(t));
            exitListener.ended(rec);
        });
        r.respond(JsonRpcConnection.JSON.createObjectNode().put("terminalId", id));
    }

    void output(JsonRpcMessage.Request req, Responder r) {
        Term t = find(req, r);
        if (t == null) return;
        ObjectNode result = JsonRpcConnection.JSON.createObjectNode().put("output", t.output()).put("truncated", t.truncated);
        if (!t.process.isAlive()) result.set("exitStatus", exitStatus(t));
        r.respond(result);
    }

    /** What a running (or ended, not yet released) terminal has output so far; empty for an unknown id. */
    java.util.Optional<ObjectNode> snapshot(String terminalId) {
        Term t = terms.get(terminalId);
        if (t == null) return java.util.Optional.empty();
        ObjectNode s = JsonRpcConnection.JSON.createObjectNode().put("terminalId", terminalId).put("output", t.output())
                .put("truncated", t.truncated).put("running", t.process.isAlive());
        if (!t.process.isAlive()) s.set("exitStatus", exitStatus(t));
        return java.util.Optional.of(s);
    }

    /** Snapshots of every terminal not released yet. */
    List<ObjectNode> snapshots() {
        return terms.keySet().stream().sorted().map(this::snapshot).flatMap(java.util.Optional::stream).toList();
    }

    void waitForExit(JsonRpcMessage.Request req, Responder r) {
        Term t = find(req, r);
        if (t == null) return;
        t.process.onExit().thenRun(() -> r.respond(exitStatus(t)));
    }

    void kill(JsonRpcMessage.Request req, Responder r) {
        Term t = find(req, r);
        if (t == null) return;
        Thread.ofVirtual().start(() -> {
            kill(t);
            r.respond(JsonRpcConnection.JSON.createObjectNode());
        });
    }

    void release(JsonRpcMessage.Request req, Responder r) {
        Term t = find(req, r);
        if (t == null) return;
        terms.remove(req.params().path("terminalId").asText());
        Thread.ofVirtual().start(() -> {
            kill(t);
            r.respond(JsonRpcConnection.JSON.createObjectNode());
        });
    }

    /** Kills every command still running and forgets all terminals. */
    void releaseAll() {
        List<Term> all = List.copyOf(terms.values());
        terms.clear();
        all.forEach(t -> Thread.ofVirtual().start(() -> kill(t)));
    }

    private void kill(Term t) {
        if (!t.process.isAlive()) return;
        t.killedBy = "SIGKILL";
        // Signal the command's process group in the sandbox, so what it started goes too.
        try {
            sandbox.signal(t.process, "KILL");
            if (t.process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        t.process.destroyForcibly();
    }

    private Term find(JsonRpcMessage.Request req, Responder r) {
        Term t = terms.get(req.params().path("terminalId").asText());
        if (t == null) r.fail(JsonRpcErrors.INVALID_PARAMS, "unknown terminalId " + req.params().path("terminalId"), null);
        return t;
    }

    private static ObjectNode exitStatus(Term t) {
        ObjectNode s = JsonRpcConnection.JSON.createObjectNode();
        if (t.killedBy != null) {
            s.putNull("exitCode");
            s.put("signal", t.killedBy);
        } else {
            s.put("exitCode", t.process.exitValue());
            s.putNull("signal");
        }
        return s;
    }
}
