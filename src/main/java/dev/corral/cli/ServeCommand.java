package dev.corral.cli;

import dev.corral.Daemon;
import dev.corral.config.CorralConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", description = {"Run the daemon: HTTP API and UI (default http://127.0.0.1:7433).",
        "Environment: CORRAL_HOME, CORRAL_PORT, CORRAL_BIND, LOG_LEVEL, LOG_FORMAT=json|text."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: $CORRAL_PORT or 7433; 0 picks a free one).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default: $CORRAL_BIND or 127.0.0.1).")
    String bind;

    @Option(names = "--home", paramLabel = "DIR", description = "State directory (default: $CORRAL_HOME or ~/.corral).")
    Path home;

    @Override
    public Integer call() throws Exception {
        var config = CorralConfig.load(System.getenv(), home, bind, port);
        var daemon = Daemon.start(config);
        var done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            done.countDown();
        }, "corral-shutdown"));
        System.out.println("Corral is listening on http://" + config.server().bind() + ":" + daemon.port() + "/");
        System.out.println("Open the UI with: http://" + config.server().bind() + ":" + daemon.port() + "/?token=" + daemon.token());
        System.out.flush();
        done.await();
        return 0;
    }
}
