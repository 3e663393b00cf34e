package dev.corral;

import dev.corral.cli.CorralCli;

/** Entry point of the {@code corral} program. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        boolean serve = args.length > 0 && args[0].equals("serve");
        // Client commands print what they have to say themselves; the daemon logs at INFO unless told otherwise.
        if (!serve && System.getenv("LOG_LEVEL") == null) System.setProperty("LOG_LEVEL", "WARN");
        int code = CorralCli.run(args);
        if (!serve || code != 0) System.exit(code);
    }
}
