package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The one mapper of the SDK: the API's {@code snake_case} names from Java's camelCase record
 * components, fields left out of a request when they are {@code null}, unknown answer fields
 * ignored (a newer server may add some), {@code Optional} for the API's nullable fields, and
 * timestamps as {@link Instant} (an ISO-8601 instant, or a date meaning midnight UTC, as the
 * OpenAPI document's {@code Timestamp} allows).
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new SimpleModule("gatehouse-time")
                    .addSerializer(Instant.class, new InstantSerializer())
                    .addDeserializer(Instant.class, new InstantDeserializer()))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setDefaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
                    JsonInclude.Include.ALWAYS))
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {
    }

    static JavaType type(Class<?> type) {
        return MAPPER.constructType(type);
    }

    /** The element type of an answer {@code {"data": [ … ]}}. */
    static JavaType listOf(Class<?> element) {
        return MAPPER.getTypeFactory().constructParametricType(DataList.class, element);
    }

    static <T> T convert(JsonNode node, Class<T> type) {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("Gatehouse answered a " + type.getSimpleName()
                    + " this SDK cannot read: " + e.getMessage(), e);
        }
    }

    /** Every list answer of the API: {@code {"data": [ … ]}}. */
    record DataList<T>(List<T> data) {
    }

    private static final class InstantSerializer extends JsonSerializer<Instant> {
        @Override
        public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(value.toString());
        }
    }

    private static final class InstantDeserializer extends JsonDeserializer<Instant> {
        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            try {
                return text.length() == 10
                        ? LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC)
                        : Instant.parse(text);
            } catch (DateTimeParseException e) {
                return (Instant) ctxt.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant or date");
            }
        }
    }
}
