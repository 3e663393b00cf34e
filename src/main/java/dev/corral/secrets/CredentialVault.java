package dev.corral.secrets;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.CorralException;
import dev.corral.store.Database;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Per-agent credentials (environment variables such as {@code ANTHROPIC_API_KEY}), stored encrypted with AES-256-GCM:
 * a fresh random 96-bit nonce per write, the agent id as associated data. Values never leave this class in clear except
 * through {@link #env(String)}, which only the code that starts that agent's processes calls. Thread-safe.
 */
public final class CredentialVault {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TAG_BITS = 128;

    private final Database db;
    private volatile MasterKey key;

    public CredentialVault(Database db, MasterKey key) {
        this.db = db;
        this.key = key;
    }

    /** One agent's stored credentials as shown to clients: variable names and masked values. */
    public record Masked(String agentId, Map<String, String> env, Instant updatedAt) {}

    private static final String GIT_PREFIX = "git.";

    /** Stores (replacing) the credentials of {@code agentId}. */
    public void put(String agentId, Map<String, String> env) {
        if (agentId != null && agentId.startsWith(GIT_PREFIX)) {
            throw CorralException.badRequest("invalid_agent", "agent ids starting with 'git.' are reserved");
        }
        store(agentId, env);
    }

    /** Stores a workspace's git credential (kept apart from agents' credentials; never listed). */
    public void putGit(String workspaceId, dev.corral.sandbox.GitCredential git) {
        store(GIT_PREFIX + workspaceId, Map.of("host", git.host(), "username", git.username(), "token", git.token()));
    }

    /** A workspace's git credential, if one is stored. */
    public Optional<dev.corral.sandbox.GitCredential> git(String workspaceId) {
        Map<String, String> env = env(GIT_PREFIX + workspaceId);
        return env.isEmpty() ? Optional.empty()
                : Optional.of(new dev.corral.sandbox.GitCredential(env.get("host"), env.get("username"), env.get("token")));
    }

    public void deleteGit(String workspaceId) {
        delete(GIT_PREFIX + workspaceId);
    }

    private void store(String agentId, Map<String, String> env) {
        validate(agentId, env);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        MasterKey k = key;
        byte[] sealed = seal(k, agentId, nonce, json(new TreeMap<>(env)));
        String now = Instant.now().toString();
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO credentials (agent_id, key_id, nonce, ciphertext, created_at, updated_at) "
                    + "VALUES (?,?,?,?,?,?) ON CONFLICT(agent_id) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce, "
                    + "ciphertext = excluded.ciphertext, updated_at = excluded.updated_at")) {
                s.setString(1, agentId);
                s.setString(2, k.id());
                s.setBytes(3, nonce);
                s.setBytes(4, sealed);
                s.setString(5, now);
                s.setString(6, now);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** The clear environment of one agent's credentials; empty when none are stored. Fails closed on a wrong key. */
    public Map<String, String> env(String agentId) {
        return row(agentId).map(r -> open(r)).orElse(Map.of());
    }

    /** Every agent's credentials, masked. */
    public List<Masked> list() {
        var out = new ArrayList<Masked>();
        for (Row r : rows()) {
            if (r.agentId.startsWith(GIT_PREFIX)) continue;
            var masked = new LinkedHashMap<String, String>();
            open(r).forEach((k, v) -> masked.put(k, mask(v)));
            out.add(new Masked(r.agentId, masked, Instant.parse(r.updatedAt)));
        }
        return out;
    }

    /** Deletes an agent's credentials; returns whether there were any. */
    public boolean delete(String agentId) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("DELETE FROM credentials WHERE agent_id = ?")) {
                s.setString(1, agentId);
                return s.executeUpdate() > 0;
            }
        });
    }

    /**
     * Generates a new master key and re-encrypts every record under it in one transaction; the key file is replaced
     * just before the commit (and put back if the commit fails). Returns how many records were re-encrypted.
     */
    public synchronized int rotate() {
        MasterKey old = key;
        if (!old.rotatable()) {
            throw CorralException.conflict("master_key_from_env",
                    "the master key comes from CORRAL_MASTER_KEY; it cannot be rotated by the daemon");
        }
        var clear = new LinkedHashMap<String, Map<String, String>>();
        for (Row r : rows()) clear.put(r.agentId, open(r));
        MasterKey next = MasterKey.unsaved(MasterKey.random(), old);
        try {
            db.inTransaction(c -> {
                for (var e : clear.entrySet()) {
                    byte[] nonce = new byte[12];
                    RANDOM.nextBytes(nonce);
                    try (var s = c.prepareStatement("UPDATE credentials SET key_id = ?, nonce = ?, ciphertext = ? WHERE agent_id = ?")) {
                        s.setString(1, next.id());
                        s.setBytes(2, nonce);
                        s.setBytes(3, seal(next, e.getKey(), nonce, json(new TreeMap<>(e.getValue()))));
                        s.setString(4, e.getKey());
                        s.executeUpdate();
                    }
                }
                try {
                    next.save();
                } catch (IOException ex) {
                    throw new CorralException(CorralException.Kind.INTERNAL, "rotation_failed", "cannot write the new master key: " + ex.getMessage());
                }
                return null;
            });
        } catch (RuntimeException e) {
            try {
                old.save();
            } catch (IOException ignored) {
                // the old key file is still in place unless the write above replaced it
            }
            throw e;
        }
        key = next;
        return clear.size();
    }

    /** The masked form of a secret: a short prefix (up to 7 characters) and the last 4, e.g. {@code sk-ant-…7x9Q}. */
    public static String mask(String value) {
        if (value == null || value.isEmpty()) return "";
        int n = value.length();
        if (n < 8) return "…";
        if (n < 16) return "…" + value.substring(n - 2);
        return value.substring(0, Math.min(7, n / 4)) + "…" + value.substring(n - 4);
    }

    private record Row(String agentId, String keyId, byte[] nonce, byte[] ciphertext, String updatedAt) {}

    private Optional<Row> row(String agentId) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT agent_id, key_id, nonce, ciphertext, updated_at FROM credentials WHERE agent_id = ?")) {
                s.setString(1, agentId);
                var rs = s.executeQuery();
                return rs.next() ? Optional.of(new Row(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4), rs.getString(5)))
                        : Optional.<Row>empty();
            }
        });
    }

    private List<Row> rows() {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT agent_id, key_id, nonce, ciphertext, updated_at FROM credentials ORDER BY agent_id")) {
                var rs = s.executeQuery();
                var out = new ArrayList<Row>();
                while (rs.next()) out.add(new Row(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4), rs.getString(5)));
                return out;
            }
        });
    }

    private Map<String, String> open(Row r) {
        MasterKey k = key;
        if (!k.id().equals(r.keyId)) {
            throw locked("credentials of " + r.agentId + " were stored under master key " + r.keyId
                    + " but the daemon has key " + k.id() + " (wrong CORRAL_MASTER_KEY or master.key?)");
        }
        try {
            var c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, k.secretKey(), new GCMParameterSpec(TAG_BITS, r.nonce));
            c.updateAAD(r.agentId.getBytes(StandardCharsets.UTF_8));
            byte[] clear = c.doFinal(r.ciphertext);
            return JSON.readValue(clear, new TypeReference<TreeMap<String, String>>() {});
        } catch (AEADBadTagException e) {
            throw locked("credentials of " + r.agentId + " do not decrypt with the master key (tampered or wrong key)");
        } catch (GeneralSecurityException | IOException e) {
            throw locked("cannot decrypt credentials of " + r.agentId + ": " + e.getClass().getSimpleName());
        }
    }

    private static byte[] seal(MasterKey k, String agentId, byte[] nonce, byte[] clear) {
        try {
            var c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, k.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(agentId.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(clear);
        } catch (GeneralSecurityException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "crypto_error", "cannot encrypt: " + e.getClass().getSimpleName());
        }
    }

    private static byte[] json(Map<String, String> env) {
        try {
            return JSON.writeValueAsBytes(env);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void validate(String agentId, Map<String, String> env) {
        if (agentId == null || !agentId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw CorralException.badRequest("invalid_agent", "invalid agent id: " + agentId);
        }
        if (env == null || env.isEmpty()) throw CorralException.badRequest("invalid_env", "\"env\" must name at least one variable");
        for (var e : env.entrySet()) {
            if (e.getKey() == null || !e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw CorralException.badRequest("invalid_env", "invalid variable name: " + e.getKey());
            }
            if (e.getValue() == null || e.getValue().isEmpty() || e.getValue().indexOf('\0') >= 0 || e.getValue().length() > 16384) {
                throw CorralException.badRequest("invalid_env", "invalid value for " + e.getKey());
            }
        }
    }

    private static CorralException locked(String message) {
        return new CorralException(CorralException.Kind.UNAVAILABLE, "credentials_locked", message);
    }
}
