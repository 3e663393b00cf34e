package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.pty.Terminal;
import dev.corral.pty.TerminalConfig;
import dev.corral.pty.TerminalInfo;
import dev.corral.pty.TerminalManager;
import dev.corral.pty.TerminalSize;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.store.Database;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminals of every running workspace: one {@link TerminalManager} per sandbox, made when the sandbox starts and
 * closed (killing its terminals) when it stops or the workspace is deleted. Register it with
 * {@link WorkspaceService#addListener}. Terminals run inside the sandbox: by default an interactive login shell in
 * {@code /workspace}.
 *
 * <p>Shell tabs (terminals created without a command) are stored with their id, title, size and order
 * ({@link TerminalTabs}): when the sandbox starts again (a resume, also after a daemon restart) each comes back under
 * the same id with a fresh shell that first prints {@link #RESTORED_NOTICE}. A tab leaves the store when it is closed
 * or its shell exits by itself, not when the sandbox stops. Command tabs are not stored (they are not run again).
 *
 * <p>Thread-safe. Lookups by a workspace that is not running fail with 409 {@code workspace_not_running}; a terminal
 * id unknown to that workspace fails with 404, even if another workspace has it.
 */
public final class Terminals implements WorkspaceService.Listener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Terminals.class);
    /** The shell a terminal runs when no command is given. */
    public static final List<String> DEFAULT_SHELL = List.of("/bin/bash", "-l");
    /** The first line of a shell tab opened again after its sandbox restarted. */
    public static final String RESTORED_NOTICE = "[corral] The workspace restarted: this is a new shell; earlier output is gone.";

    /**
     * What {@code POST …/terminals} asks for.
     *
     * @param command a shell line run as {@code /bin/sh -c command}; {@code null} means an interactive login shell
     * @param title   shown in tab lists; {@code null} means "bash" or the command line
     */
    public record CreateTerminal(Integer cols, Integer rows, String command, String title) {}

    private record Running(Sandbox sandbox, TerminalManager manager) {}

    private final WorkspaceService workspaces;
    private final TerminalConfig config;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final TerminalTabs tabs;

    public Terminals(WorkspaceService workspaces, TerminalConfig config, Database db) {
        this.workspaces = Objects.requireNonNull(workspaces, "workspaces");
        this.config = Objects.requireNonNull(config, "config");
        this.tabs = new TerminalTabs(Objects.requireNonNull(db, "db"));
    }

    @Override
    public void started(String workspaceId, Sandbox sandbox) {
        var r = new Running(sandbox, new TerminalManager(workspaceId, config));
        var old = running.put(workspaceId, r);
        if (old != null) old.manager().close();
        for (var tab : tabs.list(workspaceId)) {
            try {
                var argv = new java.util.ArrayList<>(List.of("/bin/sh", "-c",
                        "printf '\\033[2m%s\\033[0m\\n' \"$1\"; shift; exec \"$@\"", "sh", RESTORED_NOTICE));
                argv.addAll(DEFAULT_SHELL);
                var command = new SandboxCommand(argv, null, Map.of());
                track(workspaceId, r, r.manager().create(tab.terminalId(), r.sandbox().prepare(command),
                        TerminalSize.of(tab.cols(), tab.rows()), tab.title()));
            } catch (RuntimeException e) {
                log.warn("workspace {}: cannot open terminal tab {} ({}) again: {}", workspaceId, tab.terminalId(),
                        tab.title(), e.getMessage());
            }
        }
    }

    /** Forgets a stored tab once its shell exits by itself (not when the sandbox stops and kills it). */
    private void track(String workspaceId, Running r, Terminal t) {
        t.onExit().thenRun(() -> {
            if (!r.manager().isClosed()) tabs.remove(workspaceId, t.id());
        });
    }

    @Override
    public void stopping(String workspaceId) {
        var r = running.remove(workspaceId);
        if (r != null) {
            log.debug("closing the terminals of workspace {}", workspaceId);
            r.manager().close();
        }
    }

    /** Starts a terminal in the workspace's sandbox. */
    public Terminal create(String idOrName, CreateTerminal req) {
        if (req == null || req.cols() == null || req.rows() == null) {
            throw CorralException.badRequest("bad_terminal_size", "\"cols\" and \"rows\" are required");
        }
        var size = TerminalSize.of(req.cols(), req.rows());
        if (req.command() != null && req.command().isBlank()) {
            throw CorralException.badRequest("bad_command", "\"command\" must not be blank; omit it for a shell");
        }
        var r = runningOf(idOrName);
        var command = req.command() == null
                ? new SandboxCommand(DEFAULT_SHELL, null, Map.of())
                : SandboxCommand.shell(req.command());
        // The PTY's program is the sandbox launcher, so name the tab after what runs inside.
        String title = req.title() != null ? req.title()
                : req.command() == null ? "bash" : abbreviate(req.command().strip());
        if (title != null && (title.isBlank() || title.length() > Terminal.MAX_TITLE)) {
            throw CorralException.badRequest("bad_terminal_title", "\"title\" must be 1.." + Terminal.MAX_TITLE
                    + " characters");
        }
        var w = workspaces.get(idOrName);
        var t = r.manager().create(r.sandbox().prepare(command), size, title);
        if (req.command() == null) {
            tabs.add(w.id(), t.id(), t.title(), size.cols(), size.rows(), t.createdAt());
            track(w.id(), r, t);
        }
        return t;
    }

    private static String abbreviate(String command) {
        return command.length() <= 40 ? command : command.substring(0, 39) + "…";
    }

    /** The workspace's open tabs, oldest first (exited terminals stay listed for the grace period). */
    public List<TerminalInfo> list(String idOrName) {
        return runningOf(idOrName).manager().list();
    }

    /** @throws CorralException 404 if the workspace has no such terminal, 409 if it is not running */
    public Terminal get(String idOrName, String terminalId) {
        return runningOf(idOrName).manager().get(terminalId);
    }

    public TerminalInfo rename(String idOrName, String terminalId, String title) {
        var terminal = get(idOrName, terminalId);
        terminal.rename(title);
        tabs.rename(workspaces.get(idOrName).id(), terminalId, terminal.title());
        return TerminalInfo.of(terminal);
    }

    /** Hangs up the terminal's program inside the sandbox and forgets the terminal. */
    public void close(String idOrName, String terminalId) {
        var r = runningOf(idOrName);
        var terminal = r.manager().get(terminalId);
        // The PTY's process is the launcher; the shell inside the sandbox gets its hang-up directly.
        try {
            if (terminal.isAlive()) r.sandbox().signal(terminal.processHandle(), "HUP");
        } catch (RuntimeException e) {
            log.debug("cannot hang up terminal {}", terminalId, e);
        }
        r.manager().close(terminalId);
        tabs.remove(workspaces.get(idOrName).id(), terminalId);
    }

    private Running runningOf(String idOrName) {
        var w = workspaces.get(idOrName);
        workspaces.sandbox(w.id()); // 409 with the reason when it is not running
        var r = running.get(w.id());
        if (r == null) {
            throw CorralException.conflict("workspace_not_running", "workspace " + w.name() + " is not running");
        }
        return r;
    }

    /** Kills every terminal (daemon shutdown). */
    @Override
    public void close() {
        running.keySet().forEach(this::stopping);
    }
}
