package dev.corral.acp;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * When a prompt the agent refused is sent again: only if the agent produced no output for it yet and its error looks
 * transient (rate limits, overload, 5xx, timeouts, network); then after {@code initialBackoff}, doubling up to
 * {@code maxBackoff}, at most {@code maxRetries} times. Configured by env {@code ACP_PROMPT_RETRY_MAX_RETRIES} (2),
 * {@code ACP_PROMPT_RETRY_INITIAL_BACKOFF} (15s), {@code ACP_PROMPT_RETRY_MAX_BACKOFF} (2m); durations as {@code 500ms},
 * {@code 15s}, {@code 2m} or whole seconds.
 */
public record PromptRetry(int maxRetries, Duration initialBackoff, Duration maxBackoff) {

    public static final PromptRetry DEFAULTS = new PromptRetry(2, Duration.ofSeconds(15), Duration.ofMinutes(2));

    private static final Pattern TRANSIENT = Pattern.compile(
            "rate.?limit|overloaded|too many requests|\\b(429|500|502|503|504|529)\\b|timed? ?out|temporar|unavailable"
                    + "|econnreset|econnrefused|socket hang up|network", Pattern.CASE_INSENSITIVE);

    /** From the environment, with {@link #DEFAULTS} for what it does not set. */
    public static PromptRetry fromEnv(Map<String, String> env) {
        return new PromptRetry(
                Integer.parseInt(env.getOrDefault("ACP_PROMPT_RETRY_MAX_RETRIES", String.valueOf(DEFAULTS.maxRetries))),
                duration(env.get("ACP_PROMPT_RETRY_INITIAL_BACKOFF"), DEFAULTS.initialBackoff),
                duration(env.get("ACP_PROMPT_RETRY_MAX_BACKOFF"), DEFAULTS.maxBackoff));
    }

    /** Whether an agent error (its JSON-RPC error object as text) looks worth another try. */
    static boolean isTransient(String errorJson) {
        return errorJson != null && TRANSIENT.matcher(errorJson).find();
    }

    Duration delay(int retry) {
        long ms = initialBackoff.toMillis() << Math.min(retry - 1, 20);
        return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
    }

    static Duration duration(String s, Duration fallback) {
        if (s == null || s.isBlank()) return fallback;
        String v = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: \"" + s + "\" (e.g. 500ms, 15s, 2m)");
        }
    }
}
