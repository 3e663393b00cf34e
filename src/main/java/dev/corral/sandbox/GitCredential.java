package dev.corral.sandbox;

/**
 * A git credential for one workspace: served to git inside the sandbox by a credential helper, for {@code host} only.
 * Never written to disk in the workspace, never put in a remote URL. {@link #toString()} hides the token.
 *
 * @param host     host (with {@code :port} when not the default) the credential is for, as git names it
 * @param username the user name git sends (e.g. {@code x-access-token} for GitHub tokens)
 * @param token    the password or token
 */
public record GitCredential(String host, String username, String token) {
    @Override
    public String toString() {
        return "GitCredential[host=" + host + ", username=" + username + ", token=…]";
    }
}
