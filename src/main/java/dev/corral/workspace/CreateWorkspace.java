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
 * @param git     a token for clone and push
 */
public record CreateWorkspace(String name, String repo, String ref, String path, String agent, Limits limits,
                              Network network, Git git) {

    /**
     * A git credential for clone and push: stored encrypted, given to git through a credential helper, never written
     * into the repository's config or URL.
     *
     * @param host     the host (and :port) it is for; default: the host of an http(s) {@code repo}
     * @param username default {@code x-access-token}
     */
    public record Git(String token, String username, String host) {}

    /** The network part of a create request, as the client wrote it. */
    public record Network(String mode, List<String> allow, List<String> forward) {}
}
