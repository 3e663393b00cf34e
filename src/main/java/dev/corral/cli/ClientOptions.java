package dev.corral.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options of every command that talks to the daemon. */
final class ClientOptions {
    @Option(names = "--url", paramLabel = "URL", description = "Daemon URL (default: $CORRAL_URL or http://127.0.0.1:7433).")
    String url;

    @Option(names = "--home", paramLabel = "DIR", description = "Corral home holding the token (default: $CORRAL_HOME or ~/.corral).")
    Path home;

    ApiClient client() {
        return ApiClient.fromEnvironment(url, home);
    }
}
