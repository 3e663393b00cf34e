package dev.corral.api;

import dev.corral.pty.TerminalInfo;
import dev.corral.workspace.Terminals;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** The terminals API (SPEC §4): tabs over HTTP, and the terminal WebSocket. Parse, call, render. */
final class TerminalRoutes {
    private final Terminals terminals;
    private final TerminalSocket socket;

    TerminalRoutes(Terminals terminals) {
        this.terminals = terminals;
        this.socket = new TerminalSocket(ctx -> terminals.get(ctx.pathParam("id"), ctx.pathParam("tid")));
    }

    /** {@code POST …/terminals {"cols","rows","command"?,"title"?}} → 201 {@code {"terminalId",…}}. */
    void create(Context ctx) {
        var terminal = terminals.create(ctx.pathParam("id"), Json.body(ctx, Terminals.CreateTerminal.class));
        ctx.status(201).json(render(TerminalInfo.of(terminal)));
    }

    void list(Context ctx) {
        ctx.json(terminals.list(ctx.pathParam("id")).stream().map(TerminalRoutes::render).toList());
    }

    void get(Context ctx) {
        ctx.json(render(TerminalInfo.of(terminals.get(ctx.pathParam("id"), ctx.pathParam("tid")))));
    }

    record Rename(String title) {}

    /** {@code PATCH} (or {@code POST}) {@code …/terminals/{tid} {"title"}}: renames the tab. */
    void rename(Context ctx) {
        var body = Json.body(ctx, Rename.class);
        ctx.json(render(terminals.rename(ctx.pathParam("id"), ctx.pathParam("tid"), body.title())));
    }

    void delete(Context ctx) {
        terminals.close(ctx.pathParam("id"), ctx.pathParam("tid"));
        ctx.status(204);
    }

    TerminalSocket socket() {
        return socket;
    }

    private static Map<String, Object> render(TerminalInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("terminalId", t.id());
        m.put("title", t.title());
        m.put("cols", t.cols());
        m.put("rows", t.rows());
        m.put("offset", t.endOffset());
        m.put("alive", t.alive());
        if (t.exitCode() != null) m.put("exitCode", t.exitCode());
        m.put("createdAt", t.createdAt());
        return m;
    }
}
