package dev.corral.cli;

/** A failure the CLI reports in one line and exits 1 for. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
