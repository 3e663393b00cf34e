package dev.corral.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.corral.acp.Event;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/** Renders events as {@code {"seq","at","type","data"}} with {@code data} embedded exactly as stored. */
final class EventJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private EventJson() {}

    static String one(Event e) {
        var w = new StringWriter(e.data().length() + 96);
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, e);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return w.toString();
    }

    static String list(List<Event> events) {
        var w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartArray();
            for (Event e : events) write(g, e);
            g.writeEndArray();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Event e) throws IOException {
        g.writeStartObject();
        g.writeNumberField("seq", e.seq());
        g.writeStringField("at", e.at().toString());
        g.writeStringField("type", e.type().wireName());
        g.writeFieldName("data");
        g.writeRawValue(e.data());
        g.writeEndObject();
    }
}
