package dev.corral.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.CorralException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ConfinedPathTest {
    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void layout() throws Exception {
        root = Files.createDirectories(tmp.resolve("ws")).toRealPath();
        Files.createDirectories(root.resolve("a/b"));
        Files.createSymbolicLink(root.resolve("abs"), Path.of("/workspace/a"));
        Files.createSymbolicLink(root.resolve("rel"), Path.of("a/b"));
        Files.createSymbolicLink(root.resolve("out"), Path.of("/etc"));
        Files.createSymbolicLink(root.resolve("a/up"), Path.of("../.."));
        Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
        Files.createSymbolicLink(root.resolve("loop2"), Path.of("loop1"));
    }

    @Test
    void resolvesInsideTheWorkspaceAsTheSandboxSeesIt() {
        assertThat(ConfinedPath.resolve(root, "", true)).isEqualTo(root);
        assertThat(ConfinedPath.resolve(root, "a/./b/../b", true)).isEqualTo(root.resolve("a/b"));
        assertThat(ConfinedPath.resolve(root, "abs/b", true)).isEqualTo(root.resolve("a/b"));
        assertThat(ConfinedPath.resolve(root, "rel", true)).isEqualTo(root.resolve("a/b"));
        assertThat(ConfinedPath.resolve(root, "/workspace/a", true)).isEqualTo(root.resolve("a"));
        assertThat(ConfinedPath.resolve(root, "out", false)).isEqualTo(root.resolve("out"));
        assertThat(ConfinedPath.resolve(root, "new/file.txt", true)).isEqualTo(root.resolve("new/file.txt"));
    }

    @Test
    void refusesEveryWayOut() {
        for (String p : new String[] {"..", "a/../..", "/etc/passwd", "out", "out/passwd", "a/up/x", "/workspace/../etc",
                "/workspacex"}) {
            assertThatThrownBy(() -> ConfinedPath.resolve(root, p, true)).as(p).isInstanceOf(CorralException.class)
                    .hasMessageContaining("outside /workspace");
        }
        assertThatThrownBy(() -> ConfinedPath.resolve(root, "loop1", true)).hasMessageContaining("symbolic links");
        assertThatThrownBy(() -> ConfinedPath.resolve(root, "a\0b", true)).hasMessageContaining("NUL");
    }
}
