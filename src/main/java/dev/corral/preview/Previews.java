package dev.corral.preview;

import dev.corral.CorralException;
import dev.corral.store.Database;
import dev.corral.workspace.WorkspaceService;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Preview grants: a signed, expiring, revocable right to reach one port inside one workspace's sandbox over
 * {@code /preview/{id}/{signature}/…}. Grants are stored (table {@code previews}) so revocation survives restarts.
 * Thread-safe.
 */
public final class Previews {
    public static final String PATH_PREFIX = "/preview/";
    static final long MAX_SECONDS = 30L * 24 * 3600;
    static final long DEFAULT_SECONDS = 3600;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A stored grant. */
    public record Grant(String id, String workspaceId, int port, long expiresAt, Instant createdAt) {}

    /** A grant as the API shows it. */
    public record PreviewView(String id, String workspaceId, int port, String url, Instant expiresAt, Instant createdAt) {}

    private final Database db;
    private final PreviewSigner signer;
    private final WorkspaceService workspaces;

    public Previews(Database db, PreviewSigner signer, WorkspaceService workspaces) {
        this.db = db;
        this.signer = signer;
        this.workspaces = workspaces;
    }

    /** Grants a preview of {@code port}; {@code baseUrl} (scheme, host, port) prefixes the returned URL. */
    public PreviewView create(String workspace, Integer port, Long expiresInSeconds, String baseUrl) {
        if (port == null) throw CorralException.badRequest("missing_port", "\"port\" is required");
        PortRelays.checkPort(port);
        long secs = expiresInSeconds == null ? DEFAULT_SECONDS : expiresInSeconds;
        if (secs < 1 || secs > MAX_SECONDS) {
            throw CorralException.badRequest("invalid_expiry", "expiresInSeconds must be between 1 and " + MAX_SECONDS);
        }
        String wsId = workspaces.get(workspace).id();
        byte[] raw = new byte[9];
        RANDOM.nextBytes(raw);
        var g = new Grant("pv-" + HexFormat.of().formatHex(raw), wsId, port, Instant.now().getEpochSecond() + secs, Instant.now());
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO previews (id, workspace_id, port, expires_at, created_at) VALUES (?,?,?,?,?)")) {
                s.setString(1, g.id());
                s.setString(2, g.workspaceId());
                s.setInt(3, g.port());
                s.setLong(4, g.expiresAt());
                s.setString(5, g.createdAt().toString());
                s.executeUpdate();
            }
            return null;
        });
        return view(g, baseUrl);
    }

    /** The workspace's unexpired previews; expired ones are dropped. */
    public List<PreviewView> list(String workspace, String baseUrl) {
        String wsId = workspaces.get(workspace).id();
        long now = Instant.now().getEpochSecond();
        return db.inTransaction(c -> {
            try (var d = c.prepareStatement("DELETE FROM previews WHERE expires_at < ?")) {
                d.setLong(1, now);
                d.executeUpdate();
            }
            var out = new ArrayList<PreviewView>();
            try (var q = c.prepareStatement("SELECT id, workspace_id, port, expires_at, created_at FROM previews "
                    + "WHERE workspace_id = ? ORDER BY created_at")) {
                q.setString(1, wsId);
                try (var rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(view(new Grant(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getLong(4),
                                Instant.parse(rs.getString(5))), baseUrl));
                    }
                }
            }
            return out;
        });
    }

    /** Revokes a preview: its URL stops working at once (requests in flight finish). */
    public void revoke(String workspace, String previewId) {
        String wsId = workspaces.get(workspace).id();
        int n = db.inTransaction(c -> {
            try (var s = c.prepareStatement("DELETE FROM previews WHERE id = ? AND workspace_id = ?")) {
                s.setString(1, previewId);
                s.setString(2, wsId);
                return s.executeUpdate();
            }
        });
        if (n == 0) throw CorralException.notFound("preview", previewId);
    }

    /**
     * Checks a preview URL's id and signature.
     *
     * @throws CorralException 404 {@code preview_not_found} (unknown or revoked), 403 {@code bad_signature},
     *                         403 {@code preview_expired}
     */
    public Grant authorize(String previewId, String signature) {
        Grant g = db.inTransaction(c -> {
            try (var q = c.prepareStatement("SELECT id, workspace_id, port, expires_at, created_at FROM previews WHERE id = ?")) {
                q.setString(1, previewId);
                try (var rs = q.executeQuery()) {
                    return rs.next() ? new Grant(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getLong(4),
                            Instant.parse(rs.getString(5))) : null;
                }
            }
        });
        if (g == null) throw new CorralException(CorralException.Kind.NOT_FOUND, "preview_not_found",
                "no such preview (it may have been revoked)");
        if (!signer.verify(signature, g.id(), g.workspaceId(), g.port(), g.expiresAt())) {
            throw new CorralException(CorralException.Kind.FORBIDDEN, "bad_signature", "the preview URL's signature is not valid");
        }
        if (Instant.now().getEpochSecond() >= g.expiresAt()) {
            throw new CorralException(CorralException.Kind.FORBIDDEN, "preview_expired", "the preview URL has expired");
        }
        return g;
    }

    private PreviewView view(Grant g, String baseUrl) {
        String sig = signer.sign(g.id(), g.workspaceId(), g.port(), g.expiresAt());
        return new PreviewView(g.id(), g.workspaceId(), g.port(), baseUrl + PATH_PREFIX + g.id() + "/" + sig + "/",
                Instant.ofEpochSecond(g.expiresAt()), g.createdAt());
    }
}
