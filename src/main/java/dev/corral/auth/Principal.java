package dev.corral.auth;

import java.util.Set;

/**
 * Who is calling, and which workspaces they may touch.
 *
 * @param subject    the local token's owner ({@code local}) or a JWT's {@code sub}
 * @param workspaces workspace ids (or names) this caller may use; {@code "*"} means all, and the right to create
 * @param rateKey    what rate limits count against (never the token itself)
 */
public record Principal(String subject, Set<String> workspaces, String rateKey) {
    public static final String ALL = "*";

    public static Principal local() {
        return new Principal("local", Set.of(ALL), "local");
    }

    public boolean all() {
        return workspaces.contains(ALL);
    }

    public boolean mayUse(String workspaceIdOrName) {
        return all() || workspaces.contains(workspaceIdOrName);
    }
}
