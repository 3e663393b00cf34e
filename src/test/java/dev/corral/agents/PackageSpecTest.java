package dev.corral.agents;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class PackageSpecTest {

    @Test
    void parsesScopedAndPlainNames() {
        assertThat(PackageSpec.parse("@google/gemini-cli@0.61.0", "9.9.9"))
                .isEqualTo(new PackageSpec("@google/gemini-cli", "0.61.0", null));
        assertThat(PackageSpec.parse("opencode-ai", "1.18.33").installArgument()).isEqualTo("opencode-ai@1.18.33");
        assertThat(PackageSpec.parse("x@1.0.0-beta.2", null).version()).isEqualTo("1.0.0-beta.2");
    }

    @Test
    void refusesTagsAndRanges() {
        assertThatThrownBy(() -> PackageSpec.parse("opencode-ai@latest", "1.0.0")).hasMessageContaining("exact version");
        assertThatThrownBy(() -> PackageSpec.parse("@a/b@^1.2.0", "1.0.0")).hasMessageContaining("exact version");
        assertThatThrownBy(() -> PackageSpec.parse("@a/b", null)).hasMessageContaining("exact version");
        assertThatThrownBy(() -> PackageSpec.parse("Bad Name@1.0.0", null)).hasMessageContaining("package name");
    }

    @Test
    void localTarballsArePinnedByContent() {
        assertThat(PackageSpec.parse("file:/tmp/a-1.0.0.tgz", "1.0.0").installArgument()).isEqualTo("/tmp/a-1.0.0.tgz");
    }
}
