package dev.corral.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountsTest {
    @Test
    void noHostMountsFromAProcessThatSharesItsParentsNamespace() {
        // This JVM was started by Maven in the same mount namespace: a crash would leave mounts on the host.
        assertThat(Mounts.unavailable()).isNotNull();
    }

    @Test
    void mountPointsAreListedDeepestFirst() {
        var points = Mounts.mountPointsUnder(Path.of("/"));
        assertThat(points).contains(Path.of("/"));
        assertThat(points.getLast()).isEqualTo(Path.of("/"));
        assertThat(Mounts.mountPointsUnder(Path.of("/no/such/dir"))).isEmpty();
    }
}
