package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a path given relative to {@code /workspace} the way the sandbox would see it, onto the host directory that
 * backs {@code /workspace}. Symbolic links are followed by hand: a link to {@code /workspace/…} stays inside, a link
 * to any other absolute place or a {@code ..} above the root is refused with a 400 ({@code path_outside_workspace}).
 */
final class ConfinedPath {
    private static final int MAX_LINKS = 40;

    private ConfinedPath() {}

    /**
     * @param root        host directory backing /workspace (real path)
     * @param path        the path as given by the client ("" or "." is the root)
     * @param followFinal whether a symlink in the last component is followed
     * @return the host path, or the root itself
     */
    static Path resolve(Path root, String path, boolean followFinal) {
        if (path == null) path = "";
        if (path.indexOf('\0') >= 0) throw invalid(path, "contains a NUL byte");
        String p = path;
        if (p.startsWith("/")) {
            if (p.equals(SandboxSpec.WORKSPACE) || p.startsWith(SandboxSpec.WORKSPACE + "/")) {
                p = p.substring(SandboxSpec.WORKSPACE.length());
            } else {
                throw outside(path);
            }
        }
        Deque<String> todo = new ArrayDeque<>(split(p));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.removeFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (done.isEmpty()) throw outside(path);
                done.remove(done.size() - 1);
                continue;
            }
            done.add(part);
            Path host = root.resolve(String.join("/", done));
            boolean last = todo.isEmpty();
            if ((!last || followFinal) && Files.isSymbolicLink(host)) {
                if (++links > MAX_LINKS) throw invalid(path, "too many levels of symbolic links");
                String target;
                try {
                    target = Files.readSymbolicLink(host).toString();
                } catch (IOException e) {
                    throw invalid(path, "unreadable symbolic link");
                }
                done.remove(done.size() - 1);
                if (target.startsWith("/")) {
                    if (target.equals(SandboxSpec.WORKSPACE) || target.startsWith(SandboxSpec.WORKSPACE + "/")) {
                        done.clear();
                        target = target.substring(SandboxSpec.WORKSPACE.length());
                    } else {
                        throw outside(path);
                    }
                }
                List<String> parts = split(target);
                for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
            }
        }
        Path resolved = root.resolve(String.join("/", done)).normalize();
        if (!resolved.startsWith(root)) throw outside(path);
        return resolved;
    }

    /** The path of {@code host} relative to the root, as the API shows it. */
    static String relative(Path root, Path host) {
        return root.relativize(host).toString();
    }

    static boolean isRoot(Path root, Path host) {
        return root.equals(host);
    }

    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    private static List<String> split(String p) {
        return List.of(p.split("/", -1));
    }

    private static CorralException outside(String path) {
        return CorralException.badRequest("path_outside_workspace", "path resolves outside /workspace: " + path);
    }

    private static CorralException invalid(String path, String why) {
        return CorralException.badRequest("invalid_path", "invalid path '" + path + "': " + why);
    }
}
