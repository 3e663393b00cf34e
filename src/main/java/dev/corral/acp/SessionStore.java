package dev.corral.acp;

import dev.corral.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for the {@code sessions} and {@code prompt_receipts} tables (migration V2). Thread-safe. */
final class SessionStore {

    /** A prompt delivery receipt. {@code state}: accepted, in_flight, completed, ambiguous. */
    record Receipt(String sessionId, String deliveryId, String state, String stopReason, Long promptSeq) {}

    private final Database db;

    SessionStore(Database db) {
        this.db = db;
    }

    void insert(SessionRecord r) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (id, workspace_id, agent, state, "
                    + "acp_session_id, mode_id, model, args, capabilities, created_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, r.id());
                ps.setString(2, r.workspaceId());
                ps.setString(3, r.agent());
                ps.setString(4, r.state());
                ps.setString(5, r.acpSessionId());
                ps.setString(6, r.modeId());
                ps.setString(7, r.model());
                ps.setString(8, r.args());
                ps.setString(9, r.capabilities());
                ps.setString(10, r.createdAt().toString());
                ps.setString(11, r.updatedAt().toString());
                return ps.executeUpdate();
            }
        });
    }

    void setState(String id, String state) {
        update("UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?", state, Instant.now().toString(), id);
    }

    void setStarted(String id, String acpSessionId, String capabilities) {
        update("UPDATE sessions SET acp_session_id = ?, capabilities = ?, updated_at = ? WHERE id = ?",
                acpSessionId, capabilities, Instant.now().toString(), id);
    }

    void setModel(String id, String model, String capabilities) {
        update("UPDATE sessions SET model = ?, capabilities = ?, updated_at = ? WHERE id = ?", model, capabilities,
                Instant.now().toString(), id);
    }

    void setCapabilities(String id, String capabilities) {
        update("UPDATE sessions SET capabilities = ?, updated_at = ? WHERE id = ?", capabilities, Instant.now().toString(), id);
    }

    void setMode(String id, String modeId) {
        update("UPDATE sessions SET mode_id = ?, updated_at = ? WHERE id = ?", modeId, Instant.now().toString(), id);
    }

    Optional<SessionRecord> get(String id) {
        List<SessionRecord> l = query("SELECT * FROM sessions WHERE id = ?", id);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
    }

    List<SessionRecord> byWorkspace(String workspaceId) {
        return query("SELECT * FROM sessions WHERE workspace_id = ? ORDER BY created_at", workspaceId);
    }

    List<SessionRecord> all() {
        return query("SELECT * FROM sessions ORDER BY created_at");
    }

    /** Deletes the session, its events and its receipts. */
    void delete(String id) {
        db.inTransaction(c -> {
            for (String sql : List.of("DELETE FROM events WHERE session_id = ?", "DELETE FROM prompt_receipts WHERE session_id = ?",
                    "DELETE FROM sessions WHERE id = ?")) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    // ---- receipts ----

    /** Stores an accepted receipt, or returns the existing one for this delivery id (then nothing is stored). */
    Optional<Receipt> accept(String sessionId, String deliveryId) {
        return db.inTransaction(c -> {
            Optional<Receipt> existing = receipt(c, sessionId, deliveryId);
            if (existing.isPresent()) return existing;
            String now = Instant.now().toString();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO prompt_receipts (delivery_id, session_id, state, "
                    + "created_at, updated_at) VALUES (?, ?, 'accepted', ?, ?)")) {
                ps.setString(1, deliveryId);
                ps.setString(2, sessionId);
                ps.setString(3, now);
                ps.setString(4, now);
                ps.executeUpdate();
            }
            return Optional.<Receipt>empty();
        });
    }

    void receiptInFlight(String sessionId, String deliveryId, long promptSeq) {
        update("UPDATE prompt_receipts SET state = 'in_flight', prompt_seq = ?, updated_at = ? WHERE session_id = ? AND delivery_id = ?",
                promptSeq, Instant.now().toString(), sessionId, deliveryId);
    }

    void receiptEnded(String sessionId, String deliveryId, String state, String stopReason) {
        update("UPDATE prompt_receipts SET state = ?, stop_reason = ?, updated_at = ? WHERE session_id = ? AND delivery_id = ?",
                state, stopReason, Instant.now().toString(), sessionId, deliveryId);
    }

    Optional<Receipt> receipt(String sessionId, String deliveryId) {
        return db.inTransaction(c -> receipt(c, sessionId, deliveryId));
    }

    /** Receipts left accepted or in flight by a daemon that died; they become ambiguous. Returns them as they were. */
    List<Receipt> markUnfinishedAmbiguous() {
        return db.inTransaction(c -> {
            var out = new ArrayList<Receipt>();
            try (PreparedStatement ps = c.prepareStatement("SELECT session_id, delivery_id, state, stop_reason, prompt_seq "
                    + "FROM prompt_receipts WHERE state IN ('accepted', 'in_flight') ORDER BY created_at");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(receiptOf(rs));
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE prompt_receipts SET state = 'ambiguous', updated_at = ? "
                    + "WHERE state IN ('accepted', 'in_flight')")) {
                ps.setString(1, Instant.now().toString());
                ps.executeUpdate();
            }
            return out;
        });
    }

    private static Optional<Receipt> receipt(Connection c, String sessionId, String deliveryId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT session_id, delivery_id, state, stop_reason, prompt_seq "
                + "FROM prompt_receipts WHERE session_id = ? AND delivery_id = ?")) {
            ps.setString(1, sessionId);
            ps.setString(2, deliveryId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(receiptOf(rs)) : Optional.empty();
            }
        }
    }

    private static Receipt receiptOf(ResultSet rs) throws SQLException {
        long seq = rs.getLong(5);
        Long promptSeq = rs.wasNull() ? null : seq;
        return new Receipt(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), promptSeq);
    }

    private void update(String sql, Object... args) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
                return ps.executeUpdate();
            }
        });
    }

    private List<SessionRecord> query(String sql, String... args) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
                var out = new ArrayList<SessionRecord>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new SessionRecord(rs.getString("id"), rs.getString("workspace_id"), rs.getString("agent"),
                                rs.getString("state"), rs.getString("acp_session_id"), rs.getString("mode_id"),
                                rs.getString("model"), rs.getString("args"), rs.getString("capabilities"),
                                Instant.parse(rs.getString("created_at")), Instant.parse(rs.getString("updated_at"))));
                    }
                }
                return out;
            }
        });
    }
}
