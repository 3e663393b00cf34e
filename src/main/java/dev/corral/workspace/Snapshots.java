package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Snapshots of workspaces: one gzip-compressed tar per snapshot under {@code CORRAL_HOME/snapshots}, holding the
 * workspace's files as {@code repo/} and its home as {@code home/}. Made by GNU tar on the host and streamed to disk
 * (never held in memory), with a size limit. Restoring extracts with tar's own protections (no absolute names, no
 * {@code ..}), owned by the daemon's user.
 */
public final class Snapshots {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A stored snapshot. */
    public record Info(String snapshotId, String workspaceId, long sizeBytes, String sha256, Instant createdAt) {}

    private final Path dir;
    private final Database db;
    private final long maxBytes;

    Snapshots(Path home, Database db, long maxBytes) {
        this.dir = home.resolve("snapshots");
        this.db = db;
        this.maxBytes = maxBytes;
    }

    /** Archives {@code repo} (as repo/) and {@code home} (as home/) of workspace {@code workspaceId}. */
    Info create(String workspaceId, Path repo, Path home) {
        String id = "snap-" + HexFormat.of().formatHex(bytes(6));
        Path target = dir.resolve(id + ".tar.gz");
        Path tmp = dir.resolve("." + id + ".tmp");
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of("tar", "--create", "--gzip", "--file=-", "--numeric-owner"));
            Path wsDir = home.getParent();
            if (repo.getParent().equals(wsDir) && repo.getFileName().toString().equals("repo")) {
                cmd.addAll(List.of("-C", wsDir.toString(), "repo", "home"));
            } else {
                // A mounted host directory: archive it under the name repo/.
                String rel = Path.of("/").relativize(repo.toAbsolutePath()).toString();
                cmd.addAll(List.of("--transform", "s,^" + sedEscape(rel) + "\\(/\\|$\\),repo\\1,", "-C", "/", rel,
                        "-C", wsDir.toString(), "home"));
            }
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
            var digest = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (InputStream in = p.getInputStream(); OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    size += n;
                    if (size > maxBytes) {
                        p.destroyForcibly();
                        throw new CorralException(CorralException.Kind.TOO_LARGE, "snapshot_too_large",
                                "the snapshot exceeds CORRAL_SNAPSHOT_MAX_BYTES (" + maxBytes + " bytes compressed)");
                    }
                    digest.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            String err = new String(p.getErrorStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() > 1) { // 1: a file changed while being read
                throw new CorralException(CorralException.Kind.INTERNAL, "snapshot_failed", "tar failed: " + err);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            var info = new Info(id, workspaceId, size, HexFormat.of().formatHex(digest.digest()), Instant.now());
            db.inTransaction(c -> {
                try (var s = c.prepareStatement("INSERT INTO snapshots (id, workspace_id, size_bytes, sha256, created_at) VALUES (?,?,?,?,?)")) {
                    s.setString(1, id);
                    s.setString(2, workspaceId);
                    s.setLong(3, info.sizeBytes());
                    s.setString(4, info.sha256());
                    s.setString(5, info.createdAt().toString());
                    s.executeUpdate();
                }
                return null;
            });
            return info;
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "snapshot_failed", "cannot write the snapshot: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** Replaces {@code dest}/repo and {@code dest}/home with the snapshot's (extracted next to them first). */
    void extractInto(String snapshotId, Path dest) {
        Path archive = file(snapshotId);
        Path staging = dest.resolve(".restore-" + HexFormat.of().formatHex(bytes(4)));
        try {
            Files.createDirectories(staging);
            Process p = new ProcessBuilder("tar", "--extract", "--gzip", "--file=" + archive, "-C", staging.toString(),
                    "--no-same-owner", "--no-same-permissions", "--delay-directory-restore")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new CorralException(CorralException.Kind.INTERNAL, "restore_failed", "tar failed: " + out);
            }
            for (String part : List.of("repo", "home")) {
                Path from = staging.resolve(part);
                if (!Files.isDirectory(from)) Files.createDirectories(from);
                WorkspaceService.deleteTree(dest.resolve(part));
                Files.move(from, dest.resolve(part), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "restore_failed", "cannot restore: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        } finally {
            try {
                WorkspaceService.deleteTree(staging);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    public Info get(String snapshotId) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT id, workspace_id, size_bytes, sha256, created_at FROM snapshots WHERE id = ?")) {
                s.setString(1, snapshotId);
                var rs = s.executeQuery();
                if (!rs.next()) throw CorralException.notFound("snapshot", snapshotId);
                return new Info(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), Instant.parse(rs.getString(5)));
            }
        });
    }

    public List<Info> list(String workspaceId) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("SELECT id, workspace_id, size_bytes, sha256, created_at FROM snapshots "
                    + "WHERE workspace_id = ? ORDER BY created_at")) {
                s.setString(1, workspaceId);
                var rs = s.executeQuery();
                var out = new ArrayList<Info>();
                while (rs.next()) {
                    out.add(new Info(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), Instant.parse(rs.getString(5))));
                }
                return out;
            }
        });
    }

    /** The archive's bytes, for download. */
    public InputStream open(String snapshotId) {
        try {
            return Files.newInputStream(file(snapshotId));
        } catch (IOException e) {
            throw CorralException.notFound("snapshot", snapshotId);
        }
    }

    public void delete(String snapshotId) {
        get(snapshotId);
        try {
            Files.deleteIfExists(file(snapshotId));
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "io_error", "cannot delete the snapshot: " + e.getMessage());
        }
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
                s.setString(1, snapshotId);
                s.executeUpdate();
            }
            return null;
        });
    }

    private Path file(String snapshotId) {
        if (!snapshotId.matches("snap-[0-9a-f]{12}")) throw CorralException.notFound("snapshot", snapshotId);
        return dir.resolve(snapshotId + ".tar.gz");
    }

    private static String sedEscape(String s) {
        return s.replaceAll("([\\\\.\\[\\]*^$,])", "\\\\$1");
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
