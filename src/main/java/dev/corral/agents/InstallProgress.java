package dev.corral.agents;

/**
 * One step of an agent install. {@code percent} only grows; npm does not report real progress, so it moves
 * by phase and creeps up with npm's output lines while {@link Phase#DOWNLOADING}. {@code line} is one line
 * of npm's output, or null.
 */
public record InstallProgress(String agentId, Phase phase, int percent, String line) {

    public enum Phase { STARTING, DOWNLOADING, VERIFYING, DONE, ALREADY_INSTALLED, FAILED }
}
