package dev.tideline.api.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Delta schema types (the protocol's JSON form) as Unity Catalog names them: a type name and a SQL type text.
 * Pure functions.
 */
final class DeltaTypes {

    private static final Pattern DECIMAL = Pattern.compile("decimal\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");


    private DeltaTypes() {
    }

    /** Unity Catalog's type name of a Delta type. */
    static String typeName(JsonNode type) {
        if (type.isObject()) {
            String kind = type.path("type").asText();
            return switch (kind) {
                case "struct" -> "STRUCT";
                case "array" -> "ARRAY";
                case "map" -> "MAP";
                default -> "USER_DEFINED_TYPE";
            };
        }
        String text = type.asText().toLowerCase(Locale.ROOT).trim();
        if (DECIMAL.matcher(text).matches() || text.equals("decimal")) {
            return "DECIMAL";
        }
        if (text.startsWith("geometry")) {
            return "GEOMETRY";
        }
        if (text.startsWith("geography")) {
            return "GEOGRAPHY";
        }
        return switch (text) {
            case "string" -> "STRING";
            case "long" -> "LONG";
            case "integer" -> "INT";
            case "short" -> "SHORT";
            case "byte" -> "BYTE";
            case "float" -> "FLOAT";
            case "double" -> "DOUBLE";
            case "boolean" -> "BOOLEAN";
            case "binary" -> "BINARY";
            case "date" -> "DATE";
            case "timestamp" -> "TIMESTAMP";
            case "timestamp_ntz" -> "TIMESTAMP_NTZ";
            case "variant" -> "VARIANT";
            case "object" -> "OBJECT";
            case "void" -> "NULL";
            default -> "USER_DEFINED_TYPE";
        };
    }

    /** The SQL type text of a Delta type, as Spark and Databricks print it. */
    static String typeText(JsonNode type) {
        if (type.isObject()) {
            switch (type.path("type").asText()) {
                case "array":
                    return "array<" + typeText(type.path("elementType")) + ">";
                case "map":
                    return "map<" + typeText(type.path("keyType")) + "," + typeText(type.path("valueType")) + ">";
                case "struct": {
                    StringBuilder text = new StringBuilder("struct<");
                    Iterator<JsonNode> fields = type.path("fields").elements();
                    while (fields.hasNext()) {
                        JsonNode field = fields.next();
                        text.append(field.path("name").asText()).append(':').append(typeText(field.path("type")));
                        if (fields.hasNext()) {
                            text.append(',');
                        }
                    }
                    return text.append('>').toString();
                }
                default:
                    return type.path("type").asText();
            }
        }
        String text = type.asText().toLowerCase(Locale.ROOT).trim();
        return switch (text) {
            case "long" -> "bigint";
            case "integer" -> "int";
            case "short" -> "smallint";
            case "byte" -> "tinyint";
            default -> text.replace(" ", "");
        };
    }

    /** {precision, scale} of a decimal type, else null. */
    static int[] decimal(JsonNode type) {
        if (!type.isTextual()) {
            return null;
        }
        Matcher m = DECIMAL.matcher(type.asText().toLowerCase(Locale.ROOT).trim());
        return m.matches() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : null;
    }
}
