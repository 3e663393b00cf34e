package dev.corral.workspace;

import dev.corral.sandbox.Limits;
import java.util.List;

/**
 * A request to create a workspace. At most one of {@code repo} and {@code path}; with neither the workspace is empty.
 *
 * @param repo    git URL or absolute local path of a repository to clone
 * @param ref     branch, tag or commit to check out after cloning
 * @param path    an existing host directory mounted as it is (never copied, never deleted by Corral)
 * @param network {@code mode} none|proxy|host, {@code allow} hosts, {@code forward} host:port endpoints
 */
public record CreateWorkspace(String name, String repo, String ref, String path, String agent, Limits limits,
                              Network network) {

    /** The network part of a create request, as the client wrote it. */
    public record Network(String mode, List<String> allow, List<String> forward) {}
}
