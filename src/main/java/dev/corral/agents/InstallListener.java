package dev.corral.agents;

/**
 * Observes an agent install. Called on the installing thread; implementations must be fast and must not throw
 * (an exception is caught and ignored so that it cannot break the install).
 */
@FunctionalInterface
public interface InstallListener {

    InstallListener NONE = progress -> {};

    void onProgress(InstallProgress progress);
}
