package dev.corral.workspace;

import dev.corral.store.Database;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored definitions of a workspace's shell tabs (table {@code terminal_tabs}): id, title, size and order. The
 * shells themselves die with the sandbox; {@link Terminals} opens the stored tabs again when the sandbox starts.
 * Thread-safe.
 */
final class TerminalTabs {
    /** One stored tab. */
    record Tab(String workspaceId, String terminalId, String title, int cols, int rows, int position, Instant createdAt) {}

    private final Database db;

    TerminalTabs(Database db) {
        this.db = db;
    }

    /** Stores a new tab after the workspace's others. */
    void add(String workspaceId, String terminalId, String title, int cols, int rows, Instant createdAt) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT OR REPLACE INTO terminal_tabs (workspace_id, terminal_id, title, cols, rows, "
                    + "position, created_at) VALUES (?,?,?,?,?,(SELECT COALESCE(MAX(position), 0) + 1 FROM terminal_tabs "
                    + "WHERE workspace_id = ?),?)")) {
                s.setString(1, workspaceId);
                s.setString(2, terminalId);
                s.setString(3, title);
                s.setInt(4, cols);
                s.setInt(5, rows);
                s.setString(6, workspaceId);
                s.setString(7, createdAt.toString());
                s.executeUpdate();
            }
            return null;
        });
    }

    void rename(String workspaceId, String terminalId, String title) {
        update("UPDATE terminal_tabs SET title = ? WHERE workspace_id = ? AND terminal_id = ?", title, workspaceId, terminalId);
    }

    void remove(String workspaceId, String terminalId) {
        update("DELETE FROM terminal_tabs WHERE workspace_id = ? AND terminal_id = ?", workspaceId, terminalId);
    }

    /** The workspace's tabs in order. */
    List<Tab> list(String workspaceId) {
        return db.inTransaction(c -> {
            var out = new ArrayList<Tab>();
            try (var q = c.prepareStatement("SELECT terminal_id, title, cols, rows, position, created_at FROM terminal_tabs "
                    + "WHERE workspace_id = ? ORDER BY position")) {
                q.setString(1, workspaceId);
                try (var rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Tab(workspaceId, rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getInt(5),
                                Instant.parse(rs.getString(6))));
                    }
                }
            }
            return out;
        });
    }

    private void update(String sql, String... args) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) s.setString(i + 1, args[i]);
                s.executeUpdate();
            }
            return null;
        });
    }
}
