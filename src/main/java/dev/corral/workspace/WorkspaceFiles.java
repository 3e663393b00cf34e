package dev.corral.workspace;

import dev.corral.CorralException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The files of one workspace, addressed relative to {@code /workspace} and confined to it (see {@link ConfinedPath}).
 * Works whether or not the sandbox runs: the files live on the host.
 */
public final class WorkspaceFiles {
    /** Cap on entries in one recursive listing. */
    public static final int MAX_ENTRIES = 100_000;

    private final Path root;
    private final long maxFileBytes;

    WorkspaceFiles(Path root, long maxFileBytes) {
        try {
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.NOT_FOUND, "workspace_dir_missing",
                    "the workspace directory is missing: " + root);
        }
        this.maxFileBytes = maxFileBytes;
    }

    /** Whether {@code path} is a directory (following links inside the workspace). */
    public boolean isDirectory(String path) {
        return Files.isDirectory(existing(path, true));
    }

    /** Opens a regular file for reading. */
    public InputStream open(String path) {
        Path p = existing(path, true);
        if (!Files.isRegularFile(p)) throw CorralException.badRequest("not_a_file", "not a regular file: " + path);
        try {
            return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw io("read", path, e);
        }
    }

    public long size(String path) {
        try {
            return Files.size(existing(path, true));
        } catch (IOException e) {
            throw io("stat", path, e);
        }
    }

    /** Lists a directory, optionally walking it (without following links); names are relative to it. */
    public List<FileEntry> list(String path, boolean recursive) {
        Path dir = existing(path, true);
        if (!Files.isDirectory(dir)) throw CorralException.badRequest("not_a_directory", "not a directory: " + path);
        var out = new ArrayList<FileEntry>();
        try {
            if (!recursive) {
                try (var s = Files.list(dir)) {
                    for (Path p : s.sorted().toList()) out.add(entry(dir, p));
                }
            } else {
                Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                        if (!d.equals(dir)) out.add(entry(dir, d));
                        return limit();
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                        out.add(entry(dir, f));
                        return limit();
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }

                    private FileVisitResult limit() {
                        if (out.size() >= MAX_ENTRIES) {
                            throw CorralException.badRequest("too_many_entries", "more than " + MAX_ENTRIES
                                    + " entries under " + path + "; list a smaller directory");
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
                out.sort(Comparator.comparing(FileEntry::name));
            }
        } catch (IOException e) {
            throw io("list", path, e);
        }
        return out;
    }

    /** Describes one entry (a symlink is described, not followed). */
    public FileEntry stat(String path) {
        Path p = existing(path, false);
        try {
            return entry(p.getParent() == null || p.equals(root) ? p : p.getParent(), p);
        } catch (IOException e) {
            throw io("stat", path, e);
        }
    }

    /** Writes a file from {@code body} (atomically replacing it), creating parent directories. Returns bytes written. */
    public long write(String path, InputStream body) {
        Path target = ConfinedPath.resolve(root, path, true);
        if (target.equals(root)) throw CorralException.badRequest("invalid_path", "cannot write to the workspace root");
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw CorralException.conflict("is_a_directory", "a directory exists at " + path);
        }
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), ".corral-upload-", ".tmp");
            long n = 0;
            try (InputStream in = body; OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[64 * 1024];
                int r;
                while ((r = in.read(buf)) >= 0) {
                    n += r;
                    if (n > maxFileBytes) {
                        throw new CorralException(CorralException.Kind.TOO_LARGE, "file_too_large",
                                "file larger than the limit of " + maxFileBytes + " bytes");
                    }
                    out.write(buf, 0, r);
                }
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return n;
        } catch (FileAlreadyExistsException e) {
            throw CorralException.conflict("parent_not_directory", "a parent of " + path + " is not a directory");
        } catch (IOException e) {
            throw io("write", path, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /** Deletes a file, link or (with {@code recursive}, non-empty) directory. */
    public void delete(String path, boolean recursive) {
        Path p = existing(path, false);
        if (p.equals(root)) throw CorralException.badRequest("invalid_path", "cannot delete the workspace root");
        try {
            if (recursive && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (var walk = Files.walk(p)) {
                    for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
                }
            } else {
                Files.delete(p);
            }
        } catch (DirectoryNotEmptyException e) {
            throw CorralException.conflict("directory_not_empty", path + " is a non-empty directory; pass recursive=true");
        } catch (IOException e) {
            throw io("delete", path, e);
        }
    }

    /** Moves {@code from} to {@code to}, creating parents; an existing target is a conflict unless {@code overwrite}. */
    public void move(String from, String to, boolean overwrite) {
        Path src = existing(from, false);
        Path dst = ConfinedPath.resolve(root, to, false);
        if (src.equals(root) || dst.equals(root)) throw CorralException.badRequest("invalid_path", "cannot move the workspace root");
        if (dst.startsWith(src)) throw CorralException.badRequest("invalid_path", "cannot move a directory into itself");
        try {
            Files.createDirectories(dst.getParent());
            if (!overwrite && ConfinedPath.exists(dst)) throw new FileAlreadyExistsException(to);
            if (overwrite) Files.move(src, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            else Files.move(src, dst, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            throw CorralException.conflict("target_exists", to + " already exists; pass overwrite=true to replace it");
        } catch (IOException e) {
            throw io("move", from, e);
        }
    }

    private Path existing(String path, boolean follow) {
        Path p = ConfinedPath.resolve(root, path, follow);
        if (!ConfinedPath.exists(p)) throw CorralException.notFound("file", path == null || path.isEmpty() ? "/" : path);
        return p;
    }

    private FileEntry entry(Path base, Path p) throws IOException {
        var a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String type = a.isSymbolicLink() ? "symlink" : a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : "other";
        String name = p.equals(base) ? (p.equals(root) ? "" : p.getFileName().toString()) : base.relativize(p).toString();
        return new FileEntry(name, type, a.isDirectory() ? 0 : a.size(), a.lastModifiedTime().toInstant(),
                PosixFilePermissions.toString(a.permissions()), a.isSymbolicLink() ? Files.readSymbolicLink(p).toString() : null);
    }

    private static CorralException io(String op, String path, IOException e) {
        if (e instanceof NoSuchFileException) return CorralException.notFound("file", path);
        return new CorralException(CorralException.Kind.CONFLICT, "io_error", "cannot " + op + " " + path + ": " + e.getMessage());
    }
}
