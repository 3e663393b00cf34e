package dev.corral.api;

import dev.corral.CorralException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-caller rate limits on the expensive actions (exec, prompt): a bucket per caller and action holding up to a
 * minute's allowance, refilled continuously. Environment: {@code CORRAL_RATE_EXEC_PER_MINUTE} (default 600),
 * {@code CORRAL_RATE_PROMPT_PER_MINUTE} (default 120); 0 turns a limit off.
 */
final class RateLimits {
    private final double execPerMinute;
    private final double promptPerMinute;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>(); // key -> {tokens, lastMillis}

    RateLimits(double execPerMinute, double promptPerMinute) {
        this.execPerMinute = execPerMinute;
        this.promptPerMinute = promptPerMinute;
    }

    static RateLimits fromEnvironment(Map<String, String> env) {
        return new RateLimits(Double.parseDouble(env.getOrDefault("CORRAL_RATE_EXEC_PER_MINUTE", "600")),
                Double.parseDouble(env.getOrDefault("CORRAL_RATE_PROMPT_PER_MINUTE", "120")));
    }

    /** Counts one {@code action} ("exec" or "prompt") for {@code caller}; throws 429 when over the limit. */
    void take(String caller, String action) {
        double perMinute = action.equals("exec") ? execPerMinute : promptPerMinute;
        if (perMinute <= 0) return;
        double[] b = buckets.computeIfAbsent(caller + "|" + action, k -> new double[] {perMinute, System.currentTimeMillis()});
        synchronized (b) {
            long now = System.currentTimeMillis();
            b[0] = Math.min(perMinute, b[0] + (now - b[1]) * perMinute / 60_000.0);
            b[1] = now;
            if (b[0] < 1) {
                long waitSeconds = (long) Math.ceil((1 - b[0]) * 60.0 / perMinute);
                throw new CorralException(CorralException.Kind.TOO_MANY, "rate_limited",
                        "too many " + action + " requests (limit " + (long) perMinute + " per minute); retry in " + waitSeconds + " s");
            }
            b[0] -= 1;
        }
    }
}
