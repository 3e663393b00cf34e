package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.corral.CorralException;
import io.javalin.http.Context;

/** The API's JSON: camelCase, ISO-8601 instants, unknown request fields refused with a clear 400. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Json() {}

    /** Parses the request body as {@code type}; malformed JSON, wrong types and unknown fields are 400s. */
    public static <T> T body(Context ctx, Class<T> type) {
        byte[] raw = ctx.bodyAsBytes();
        if (raw.length == 0) throw CorralException.badRequest("missing_body", "a JSON body is required");
        try {
            T value = MAPPER.readValue(raw, type);
            if (value == null) throw CorralException.badRequest("missing_body", "a JSON object is required");
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw CorralException.badRequest("unknown_field", "unknown field \"" + e.getPropertyName() + "\"");
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw CorralException.badRequest("invalid_value", cause.getMessage());
        } catch (JsonProcessingException e) {
            throw CorralException.badRequest("bad_json", "malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw CorralException.badRequest("bad_json", "unreadable body");
        } catch (IllegalArgumentException e) {
            throw CorralException.badRequest("invalid_value", e.getMessage());
        }
    }

    /** Like {@link #body} but an empty body gives {@code fallback}. */
    public static <T> T bodyOr(Context ctx, Class<T> type, T fallback) {
        return ctx.bodyAsBytes().length == 0 ? fallback : body(ctx, type);
    }
}
