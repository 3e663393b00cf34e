package dev.corral.workspace;

import java.time.Instant;

/**
 * One file system entry of a workspace.
 *
 * @param name   the file name, or for recursive listings the path relative to the listed directory
 * @param type   {@code file}, {@code dir}, {@code symlink} or {@code other}
 * @param target the link target, for symlinks
 */
public record FileEntry(String name, String type, long size, Instant mtime, String mode, String target) {}
