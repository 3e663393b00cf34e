package dev.corral.pty;

import dev.corral.sandbox.HostCommand;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The terminals of one workspace. Terminals live on when their viewers detach; once a terminal's process exits it is
 * kept for {@link TerminalConfig#exitGrace()} so clients can reconnect and read the end, then reaped.
 *
 * <p>Thread-safe. Creation is capped at {@link TerminalConfig#maxPerWorkspace()}: exited terminals waiting out their
 * grace period are reaped early to make room, live ones never are.
 */
public final class TerminalManager implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String workspaceId;
    private final TerminalConfig config;
    private final Map<String, Terminal> terminals = new LinkedHashMap<>();
    private boolean closed;

    public TerminalManager(String workspaceId, TerminalConfig config) {
        this.workspaceId = Objects.requireNonNull(workspaceId, "workspaceId");
        this.config = Objects.requireNonNull(config, "config");
    }

    public String workspaceId() {
        return workspaceId;
    }

    /**
     * Starts a terminal running {@code command} (see {@link Terminal#start}).
     *
     * @param title {@code null} means the command's program name
     * @throws TerminalException TOO_MANY when the workspace already has the maximum of live terminals,
     *                           UNAVAILABLE when the process cannot start or the manager is closed
     */
    public Terminal create(HostCommand command, TerminalSize size, String title) {
        return create(null, command, size, title);
    }

    /**
     * Like {@link #create(HostCommand, TerminalSize, String)} under a given id (a tab opened again after a restart);
     * {@code null} makes a new id.
     *
     * @throws TerminalException UNAVAILABLE when a terminal with that id is still kept
     */
    public synchronized Terminal create(String wantedId, HostCommand command, TerminalSize size, String title) {
        if (closed) {
            throw new TerminalException(TerminalException.Kind.UNAVAILABLE, "workspace_stopped",
                    "workspace " + workspaceId + " is stopping; it takes no new terminals", null);
        }
        makeRoom();
        if (terminals.size() >= config.maxPerWorkspace()) {
            throw TerminalException.tooMany(workspaceId, config.maxPerWorkspace());
        }
        if (wantedId != null && terminals.containsKey(wantedId)) {
            throw new TerminalException(TerminalException.Kind.UNAVAILABLE, "terminal_exists",
                    "terminal " + wantedId + " already exists", null);
        }
        var id = wantedId != null ? wantedId : newId();
        var terminal = Terminal.start(id, command, size, title, config);
        terminals.put(id, terminal);
        long graceMillis = config.exitGrace().toMillis();
        terminal.onExit().thenRunAsync(() -> reap(terminal),
                CompletableFuture.delayedExecutor(graceMillis, TimeUnit.MILLISECONDS));
        return terminal;
    }

    /** Like {@link #create(HostCommand, TerminalSize, String)} with a size given as columns and rows. */
    public Terminal create(HostCommand command, int cols, int rows, String title) {
        return create(command, TerminalSize.of(cols, rows), title);
    }

    /** @throws TerminalException NOT_FOUND if there is no such terminal (or it has been reaped) */
    public Terminal get(String terminalId) {
        return find(terminalId).orElseThrow(() -> TerminalException.notFound(terminalId));
    }

    public synchronized Optional<Terminal> find(String terminalId) {
        return Optional.ofNullable(terminals.get(terminalId));
    }

    /** The terminals kept, live and recently exited, oldest first. */
    public synchronized List<TerminalInfo> list() {
        return terminals.values().stream().map(TerminalInfo::of).toList();
    }

    /**
     * Kills the terminal's process and forgets the terminal. Attached viewers still get its last output and exit.
     *
     * @throws TerminalException NOT_FOUND if there is no such terminal
     */
    public void close(String terminalId) {
        Terminal terminal;
        synchronized (this) {
            terminal = terminals.remove(terminalId);
        }
        if (terminal == null) {
            throw TerminalException.notFound(terminalId);
        }
        terminal.close();
    }

    /** Kills every terminal and forgets them all, for workspace stop. The manager stays usable. */
    public void closeAll() {
        List<Terminal> all;
        synchronized (this) {
            all = new ArrayList<>(terminals.values());
            terminals.clear();
        }
        all.forEach(Terminal::close);
    }

    /** True once {@link #close()} was called: terminals ending now were killed, not exited by themselves. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Kills every terminal and refuses new ones. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        closeAll();
    }

    private synchronized void reap(Terminal terminal) {
        terminals.remove(terminal.id(), terminal);
    }

    /** Drops exited terminals, oldest first, until there is room for one more. */
    private void makeRoom() {
        var exited = terminals.values().stream().filter(t -> !t.isAlive())
                .sorted(Comparator.comparing(Terminal::createdAt)).toList();
        for (var t : exited) {
            if (terminals.size() < config.maxPerWorkspace()) {
                return;
            }
            terminals.remove(t.id());
        }
    }

    private String newId() {
        String id;
        do {
            var bytes = new byte[6];
            RANDOM.nextBytes(bytes);
            id = "t" + HexFormat.of().formatHex(bytes);
        } while (terminals.containsKey(id));
        return id;
    }
}
