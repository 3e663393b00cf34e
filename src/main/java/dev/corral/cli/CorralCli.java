package dev.corral.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code corral} command line. Exit codes: 0 success, 1 failure, 2 usage error. */
@Command(name = "corral", mixinStandardHelpOptions = true, versionProvider = CorralCli.VersionProvider.class,
        description = "Run ACP coding agents in disposable sandboxes next to a repository.",
        subcommands = {ServeCommand.class, SpawnCommand.class, WorkspaceCommands.ListCommand.class,
                WorkspaceCommands.StopCommand.class, WorkspaceCommands.ResumeCommand.class, WorkspaceCommands.RmCommand.class,
                AttachCommand.class, PromptCommand.class, LogsCommand.class, AcpCommand.class, KeysCommand.class, TokenCommand.class,
                DoctorCommand.class, CommandLine.HelpCommand.class})
public final class CorralCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the CLI and returns the exit code. */
    public static int run(String... args) {
        var cl = new CommandLine(new CorralCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof CliException || ex instanceof dev.corral.CorralException) {
                err.println("corral: " + ex.getMessage());
            } else {
                err.println("corral: " + ex);
            }
            err.flush();
            return 1;
        });
        return cl.execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"corral " + dev.corral.Version.get()};
        }
    }
}
