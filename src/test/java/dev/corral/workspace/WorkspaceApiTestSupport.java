package dev.corral.workspace;

import java.nio.file.Files;
import java.nio.file.Path;

/** Shared helpers for tests that need a git repository on the host. */
public final class WorkspaceApiTestSupport {
    private WorkspaceApiTestSupport() {}

    /** Makes {@code dir} a git repository with one commit holding {@code file}. */
    public static void gitRepo(Path dir, String file, String content) throws Exception {
        WorkspaceApiTest.git(dir.getParent(), "init", "-q", "-b", "main", dir.toString());
        Files.writeString(dir.resolve(file), content);
        WorkspaceApiTest.git(dir, "add", ".");
        WorkspaceApiTest.git(dir, "commit", "-q", "-m", "init");
    }
}
