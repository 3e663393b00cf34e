package dev.corral.api;

import java.util.function.LongSupplier;

/**
 * A token bucket: holds up to {@code capacity} tokens, refilled at {@code perSecond}, starts full.
 * Thread-safe.
 */
final class TokenBucket {

    private final long capacity;
    private final long perSecond;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastRefill;

    TokenBucket(long capacity, long perSecond) {
        this(capacity, perSecond, System::nanoTime);
    }

    TokenBucket(long capacity, long perSecond, LongSupplier nanoClock) {
        if (capacity <= 0 || perSecond <= 0) {
            throw new IllegalArgumentException("capacity and rate must be positive");
        }
        this.capacity = capacity;
        this.perSecond = perSecond;
        this.nanoClock = nanoClock;
        this.tokens = capacity;
        this.lastRefill = nanoClock.getAsLong();
    }

    /** Takes {@code amount} tokens if there are that many; false (taking none) if not. */
    synchronized boolean tryTake(long amount) {
        long now = nanoClock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - lastRefill) * perSecond / 1e9);
        lastRefill = now;
        if (amount > tokens) {
            return false;
        }
        tokens -= amount;
        return true;
    }
}
