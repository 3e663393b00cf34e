package dev.corral.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.CorralException;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CronScheduleTest {
    static final ZonedDateTime T = ZonedDateTime.of(2026, 1, 5, 10, 2, 7, 0, ZoneId.of("UTC"));

    @Test
    void unixFiveFields() {
        assertThat(CronSchedule.parse("*/5 * * * *").next(T)).hasValue(T.withMinute(5).withSecond(0));
        assertThat(CronSchedule.parse("0 9 * * 1").next(T)).hasValue(T.plusDays(7).withHour(9).withMinute(0).withSecond(0));
        assertThat(CronSchedule.parse("0 0 * * 7").next(T).orElseThrow().getDayOfWeek()).isEqualTo(java.time.DayOfWeek.SUNDAY);
    }

    @Test
    void sixFieldsHaveSecondsFirst() {
        assertThat(CronSchedule.parse("* * * * * *").next(T)).hasValue(T.plusSeconds(1));
        assertThat(CronSchedule.parse("*/10 * * * * *").next(T)).hasValue(T.withSecond(10));
        assertThat(CronSchedule.parse("  30   * * * *  * ").expression()).isEqualTo("30 * * * * *");
    }

    @Test
    void badExpressionsAreBadRequests() {
        for (String bad : new String[] {"", "* * * *", "61 * * * *", "* * * * * * *", "a b c d e", "*/0 * * * *"}) {
            assertThatThrownBy(() -> CronSchedule.parse(bad)).as(bad).isInstanceOf(CorralException.class)
                    .extracting(e -> ((CorralException) e).code()).isEqualTo("invalid_schedule");
        }
    }
}
