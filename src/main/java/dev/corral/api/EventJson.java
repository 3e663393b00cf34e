package dev.corral.api;

import dev.corral.acp.Event;
import java.time.Instant;
import java.util.List;

/**
 * Renders events as {@code {"seq","at","type","data"}} with {@code data} embedded exactly as stored. Written by hand
 * rather than with a JSON generator: this runs once per event per viewer, and none of the fields needs escaping
 * ({@code at} is an ISO-8601 instant, {@code type} a wire name, {@code data} JSON text kept verbatim).
 */
final class EventJson {

    /** The last instant rendered: the events of one commit share theirs, so most events reuse the text. */
    private record At(Instant instant, String text) {}

    private static volatile At lastAt = new At(Instant.EPOCH, Instant.EPOCH.toString());

    private EventJson() {}

    static String one(Event e) {
        var b = new StringBuilder(e.data().length() + 96);
        write(b, e);
        return b.toString();
    }

    static String list(List<Event> events) {
        int size = 2;
        for (Event e : events) size += e.data().length() + 96;
        var b = new StringBuilder(size);
        b.append('[');
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) b.append(',');
            write(b, events.get(i));
        }
        return b.append(']').toString();
    }

    private static void write(StringBuilder b, Event e) {
        b.append("{\"seq\":").append(e.seq())
                .append(",\"at\":\"").append(at(e.at()))
                .append("\",\"type\":\"").append(e.type().wireName())
                .append("\",\"data\":").append(e.data())
                .append('}');
    }

    private static String at(Instant instant) {
        At last = lastAt;
        if (last.instant().equals(instant)) return last.text();
        String text = instant.toString();
        lastAt = new At(instant, text);
        return text;
    }
}
