package dev.tideline.api.http;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.TableConfiguration;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads request bodies. The API parses bodies itself (instead of letting the JAX-RS reader do it) so that
 * any {@code Content-Type} works — the seeds send {@code text/json}, {@code curl --data} sends a form type —
 * and so that every parse error becomes a 400 naming the line, column or field.
 *
 * <p>Policy (documented in docs/reference/api.md): snake_case names; trailing commas allowed (seed 003's
 * bodies have them); <b>unknown fields are rejected</b> with the list of known ones, so a typo such as
 * {@code timeseries_keys} never silently changes meaning — except the Databricks fields that Tideline
 * accepts and ignores, listed on each request type with {@link JsonIgnoreProperties}. Error messages never
 * quote the request text, so a password cannot end up in a response or a log.
 */
public final class RequestBodies {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .addMixIn(GatewayDefinition.class, DatabricksGatewayFields.class)
            .addMixIn(IngestionDefinition.class, DatabricksIngestionFields.class)
            .addMixIn(TableConfiguration.class, DatabricksTableConfigurationFields.class)
            .build();

    /** Databricks gateway fields Tideline does not use. */
    @JsonIgnoreProperties({"connection_id", "connection_parameters"})
    private interface DatabricksGatewayFields {
    }

    /** Databricks ingestion fields Tideline does not use ({@code source_type} is always POSTGRESQL here). */
    @JsonIgnoreProperties({"source_type"})
    private interface DatabricksIngestionFields {
    }

    @JsonIgnoreProperties({"salesforce_include_formula_fields"})
    private interface DatabricksTableConfigurationFields {
    }

    private RequestBodies() {
    }

    /**
     * Parses {@code body} into {@code type}.
     *
     * @throws ApiException 400 MALFORMED_REQUEST (not JSON, with line and column) or INVALID_PARAMETER_VALUE
     *                      (a field of the wrong type or unknown, with its path)
     */
    public static <T> T read(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw new ApiException(ErrorCode.MALFORMED_REQUEST, "the request body is empty; send a JSON object (see docs/reference/api.md)");
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw new ApiException(ErrorCode.MALFORMED_REQUEST, "the request body is JSON null; send a JSON object");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            String field = path(e);
            throw new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, field + ": unknown field; Tideline rejects unknown fields so"
                    + " that typos are not silently ignored. Known fields here: " + known(e.getKnownPropertyIds()) + at(e.getLocation()));
        } catch (MismatchedInputException e) {
            String field = path(e);
            if (field.isEmpty()) {
                throw new ApiException(ErrorCode.MALFORMED_REQUEST, "the request body must be a JSON object" + at(e.getLocation()));
            }
            throw new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, field + ": " + expected(e.getTargetType()) + at(e.getLocation()));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof JsonProcessingException syntax && !(syntax instanceof JsonMappingException)) {
                // A syntax error inside a nested value is wrapped with the path; it is still malformed JSON.
                throw new ApiException(ErrorCode.MALFORMED_REQUEST, "malformed JSON" + at(syntax.getLocation()) + " in " + path(e) + ": "
                        + safe(syntax.getOriginalMessage()) + "; check quotes, commas and brackets there");
            }
            // e.g. a record constructor rejecting a value; its message is ours, never the raw input
            String field = path(e);
            throw new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, (field.isEmpty() ? "body" : field) + ": invalid value"
                    + at(e.getLocation()));
        } catch (JsonProcessingException e) {
            throw new ApiException(ErrorCode.MALFORMED_REQUEST, "malformed JSON" + at(e.getLocation()) + ": " + safe(e.getOriginalMessage())
                    + "; check quotes, commas and brackets there");
        } catch (IOException e) {
            throw new ApiException(ErrorCode.MALFORMED_REQUEST, "cannot read the request body: " + e.getMessage());
        }
    }

    /** The JSON path of the field an error is about, e.g. {@code spec.primary_key_columns[0]}; empty for the root. */
    static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** A parser message without the quoted input it may contain (an unquoted password would otherwise be echoed). */
    private static String safe(String parserMessage) {
        return parserMessage == null ? "" : parserMessage.replaceAll("'[^']*'", "'…'").replaceAll("\\s+", " ");
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String known(Collection<Object> ids) {
        return ids == null ? "[]" : new TreeSet<>(ids.stream().map(String::valueOf).collect(Collectors.toList())).toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "has the wrong type";
        }
        if (type.isEnum()) {
            return "must be one of " + Arrays.toString(type.getEnumConstants());
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "must be a number";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "must be a JSON array";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "must be a JSON object of string values";
        }
        return "must be a JSON object";
    }
}
