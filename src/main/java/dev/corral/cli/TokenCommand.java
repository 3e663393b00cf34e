package dev.corral.cli;

import dev.corral.auth.ApiToken;
import dev.corral.config.CorralConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "token", description = "Print the local API token (created by the first `corral serve`).")
final class TokenCommand implements Callable<Integer> {
    @Option(names = "--home", paramLabel = "DIR", description = "Corral home (default: $CORRAL_HOME or ~/.corral).")
    Path home;

    @Override
    public Integer call() {
        Path h = home != null ? home : CorralConfig.defaultHome(System.getenv());
        String t = ApiToken.read(h);
        if (t == null) throw new CliException("no token in " + h + "; start the daemon once with `corral serve`");
        System.out.println(t);
        return 0;
    }
}
