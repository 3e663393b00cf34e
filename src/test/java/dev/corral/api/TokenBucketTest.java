package dev.corral.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TokenBucketTest {

    private final AtomicLong nanos = new AtomicLong();
    private final TokenBucket bucket = new TokenBucket(1000, 100, nanos::get);

    @Test
    void startsFullAndRefusesBeyondCapacity() {
        assertThat(bucket.tryTake(600)).isTrue();
        assertThat(bucket.tryTake(600)).isFalse();
        assertThat(bucket.tryTake(400)).isTrue();
        assertThat(bucket.tryTake(1)).isFalse();
    }

    @Test
    void refillsAtTheRateUpToCapacity() {
        assertThat(bucket.tryTake(1000)).isTrue();
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        assertThat(bucket.tryTake(51)).isFalse();
        assertThat(bucket.tryTake(50)).isTrue();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(3600));
        assertThat(bucket.tryTake(1000)).isTrue();
        assertThat(bucket.tryTake(1)).isFalse();
    }
}
