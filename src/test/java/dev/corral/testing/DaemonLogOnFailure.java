package dev.corral.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints a test class's daemon log when one of its tests fails. The class exposes it via {@link HasDaemon}. */
public final class DaemonLogOnFailure implements TestWatcher {
    /** A test class that runs a daemon. */
    public interface HasDaemon {
        TestDaemon daemon();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        context.getTestInstance().filter(HasDaemon.class::isInstance).map(HasDaemon.class::cast)
                .map(HasDaemon::daemon).ifPresent(TestDaemon::dumpLog);
    }
}
