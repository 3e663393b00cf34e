package dev.corral.workspace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.CorralException;
import dev.corral.sandbox.Limits;
import dev.corral.sandbox.NetworkPolicy;
import dev.corral.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Workspace rows in SQLite. */
final class WorkspaceStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, name, state, state_reason, source_kind, repo, ref, path, agent, limits, "
            + "network, created_at, updated_at, last_started_at, snapshot_id";

    private final Database db;

    WorkspaceStore(Database db) {
        this.db = db;
    }

    /** Inserts {@code w}; a taken name is a conflict. */
    void insert(Workspace w) {
        db.inTransaction(c -> {
            try (var q = c.prepareStatement("SELECT 1 FROM workspaces WHERE name = ?")) {
                q.setString(1, w.name());
                if (q.executeQuery().next()) {
                    throw CorralException.conflict("name_taken", "a workspace named '" + w.name() + "' already exists");
                }
            }
            try (var s = c.prepareStatement("INSERT INTO workspaces (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                bind(s, w);
                s.executeUpdate();
            }
            return null;
        });
    }

    void update(Workspace w) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("UPDATE workspaces SET state = ?, state_reason = ?, updated_at = ?, "
                    + "last_started_at = ? WHERE id = ?")) {
                s.setString(1, w.state().wire());
                s.setString(2, w.stateReason());
                s.setString(3, w.updatedAt().toString());
                s.setString(4, w.lastStartedAt() == null ? null : w.lastStartedAt().toString());
                s.setString(5, w.id());
                s.executeUpdate();
            }
            return null;
        });
    }

    void delete(String id) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("DELETE FROM workspaces WHERE id = ?")) {
                s.setString(1, id);
                s.executeUpdate();
            }
            return null;
        });
    }

    Optional<Workspace> get(String id) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT " + COLUMNS + " FROM workspaces WHERE id = ? OR name = ?")) {
                s.setString(1, id);
                s.setString(2, id);
                ResultSet rs = s.executeQuery();
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        });
    }

    List<Workspace> list() {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT " + COLUMNS + " FROM workspaces ORDER BY created_at, id")) {
                ResultSet rs = s.executeQuery();
                var out = new ArrayList<Workspace>();
                while (rs.next()) out.add(read(rs));
                return out;
            }
        });
    }

    private static void bind(PreparedStatement s, Workspace w) throws SQLException {
        s.setString(1, w.id());
        s.setString(2, w.name());
        s.setString(3, w.state().wire());
        s.setString(4, w.stateReason());
        s.setString(5, w.source().kind().name().toLowerCase());
        s.setString(6, w.source().repo());
        s.setString(7, w.source().ref());
        s.setString(8, w.source().path());
        s.setString(9, w.agent());
        s.setString(10, json(w.limits()));
        s.setString(11, json(w.network()));
        s.setString(12, w.createdAt().toString());
        s.setString(13, w.updatedAt().toString());
        s.setString(14, w.lastStartedAt() == null ? null : w.lastStartedAt().toString());
        s.setString(15, w.source().snapshot());
    }

    private static Workspace read(ResultSet rs) throws SQLException {
        try {
            var source = new Workspace.Source(Workspace.Source.Kind.valueOf(rs.getString("source_kind").toUpperCase()),
                    rs.getString("repo"), rs.getString("ref"), rs.getString("path"), rs.getString("snapshot_id"));
            String started = rs.getString("last_started_at");
            return new Workspace(rs.getString("id"), rs.getString("name"), WorkspaceState.fromWire(rs.getString("state")),
                    rs.getString("state_reason"), source, rs.getString("agent"),
                    JSON.readValue(rs.getString("limits"), Limits.class),
                    JSON.readValue(rs.getString("network"), NetworkPolicy.class),
                    Instant.parse(rs.getString("created_at")), Instant.parse(rs.getString("updated_at")),
                    started == null ? null : Instant.parse(started));
        } catch (JsonProcessingException e) {
            throw new SQLException("corrupt workspace row " + rs.getString("id") + ": " + e.getMessage(), e);
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
