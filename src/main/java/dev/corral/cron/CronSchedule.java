package dev.corral.cron;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.corral.CorralException;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A parsed cron expression: Unix cron (5 fields: minute hour day-of-month month day-of-week), or the same with a
 * leading seconds field (6 fields). Times are in the daemon's time zone. Immutable.
 */
public final class CronSchedule {
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser WITH_SECONDS = new CronParser(withSeconds());

    private final String expression;
    private final ExecutionTime time;

    private CronSchedule(String expression, ExecutionTime time) {
        this.expression = expression;
        this.time = time;
    }

    /** @throws CorralException 400 {@code invalid_schedule} naming what is wrong */
    public static CronSchedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw CorralException.badRequest("invalid_schedule", "\"schedule\" is required, e.g. \"*/5 * * * *\"");
        }
        String e = expression.trim().replaceAll("\\s+", " ");
        int fields = e.split(" ").length;
        if (fields != 5 && fields != 6) {
            throw CorralException.badRequest("invalid_schedule", "a schedule has 5 fields (minute hour day month weekday)"
                    + " or 6 with a leading seconds field; got " + fields);
        }
        try {
            var cron = (fields == 5 ? UNIX : WITH_SECONDS).parse(e);
            cron.validate();
            return new CronSchedule(e, ExecutionTime.forCron(cron));
        } catch (IllegalArgumentException ex) {
            throw CorralException.badRequest("invalid_schedule", "invalid schedule \"" + e + "\": " + ex.getMessage());
        }
    }

    /** The first due time strictly after {@code after}, if the expression ever fires again. */
    public Optional<ZonedDateTime> next(ZonedDateTime after) {
        return time.nextExecution(after);
    }

    public String expression() {
        return expression;
    }

    /** Unix cron's fields and rules, with seconds in front. */
    private static CronDefinition withSeconds() {
        return CronDefinitionBuilder.defineCron()
                .withSeconds().withValidRange(0, 59).withStrictRange().and()
                .withMinutes().withValidRange(0, 59).withStrictRange().and()
                .withHours().withValidRange(0, 23).withStrictRange().and()
                .withDayOfMonth().withValidRange(1, 31).withStrictRange().and()
                .withMonth().withValidRange(1, 12).withStrictRange().and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).withStrictRange().and()
                .matchDayOfWeekAndDayOfMonth()
                .instance();
    }
}
