package dev.tideline.apply.delta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tideline.delta.kernel.AddedFile;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A data file's {@code stats} (the JSON of its {@code add} action) read and rewritten in the exact
 * type of each column — never through a {@code double}.
 *
 * <p>Why not Kernel's own: Kernel 4.4 parses {@code stats} with a Jackson mapper that reads every
 * JSON number with a fraction or exponent as a {@code double}, so a {@code decimal} min/max comes
 * back rounded ({@code 12345678901234567001} → {@code 1.2345678901234567E19}) and a re-serialized
 * {@code -99999999999999999999.999999999999999999} becomes {@code -1.0E20}, which no longer fits
 * {@code decimal(38,18)}. Pruning files on rounded bounds misses the file that holds a key (the old
 * row survives: a duplicate), and re-writing them breaks the table. So:
 * <ul>
 *   <li>{@link #parse} reads min/max as the Java values {@link RowKey} compares (BigDecimal for
 *       decimals, exact microseconds for timestamps, epoch days for dates, code-point strings), and
 *       gives no bound where the JSON cannot be read exactly — a missing bound only costs a read;</li>
 *   <li>{@link #withoutTightBounds} flips {@code tightBounds} in the original text, leaving every
 *       other character as it was;</li>
 *   <li>{@link #exactOnly} drops, before a new file's stats are written, the bounds Kernel's
 *       serializer cannot write exactly: {@code binary} (written as lossy UTF-8 text) and timestamps
 *       outside years 1–9999 (written as year-of-era without the era, so 4713 BC reads as 4713 AD).</li>
 * </ul>
 */
final class FileStatistics {

    static final String TIGHT_BOUNDS = "tightBounds";

    private static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    private static final JsonFactory JSON = new JsonFactory();

    private final Map<String, JsonNode> min;
    private final Map<String, JsonNode> max;
    private final boolean decimalsMayBeRounded;

    private FileStatistics(Map<String, JsonNode> min, Map<String, JsonNode> max, boolean decimalsMayBeRounded) {
        this.min = min;
        this.max = max;
        this.decimalsMayBeRounded = decimalsMayBeRounded;
    }

    /**
     * A file's statistics in the exact type of each column; never Kernel's {@code AddFile.getStats},
     * which reads decimals through a double.
     */
    static Optional<FileStatistics> of(AddedFile file) {
        return parse(file.getStatsJson(), file.getDeletionVector().isPresent());
    }

    /** The statistics of a file, or empty when it has none (or they are not JSON: then nothing is known). */
    static Optional<FileStatistics> parse(Optional<String> json) {
        return parse(json, false);
    }

    /**
     * As {@link #parse(Optional)}, for a file that has a deletion vector. Before this class, Tideline
     * re-added such files with statistics Kernel had read through doubles and written back, so a
     * decimal bound there may be a double's rounding of the true one ({@code 12345678901234567001}
     * written back as {@code 12345678901234567000}). Such a bound has at most 17 significant digits,
     * and one of at most 15 survives the round trip unchanged; so in these files a decimal bound of 16
     * or 17 significant digits is not used (the file is read), every other bound is.
     */
    static Optional<FileStatistics> parse(Optional<String> json, boolean hasDeletionVector) {
        if (json.isEmpty() || json.get().isBlank()) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = EXACT.readTree(json.get());
        } catch (IOException e) {
            return Optional.empty();
        }
        if (root == null || !root.isObject()) {
            return Optional.empty();
        }
        return Optional.of(new FileStatistics(leaves(root.get("minValues")), leaves(root.get("maxValues")), hasDeletionVector));
    }

    private static Map<String, JsonNode> leaves(JsonNode node) {
        Map<String, JsonNode> out = new HashMap<>();
        if (node != null && node.isObject()) {
            node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The exact lower bound of a top-level column (physical name), or null if none is known. */
    Object min(String physicalName, DataType type) {
        return trusted(value(min.get(physicalName), type));
    }

    /** The exact upper bound of a top-level column (physical name), or null if none is known. */
    Object max(String physicalName, DataType type) {
        return trusted(value(max.get(physicalName), type));
    }

    private Object trusted(Object bound) {
        if (decimalsMayBeRounded && bound instanceof BigDecimal d) {
            int digits = d.signum() == 0 ? 1 : d.stripTrailingZeros().precision();
            if (digits == 16 || digits == 17) {
                return null;
            }
        }
        return bound;
    }

    /**
     * A stats value as the Java value {@link VectorValues} reads for that type, or null when the
     * JSON does not give it exactly. Timestamps keep the milliseconds the stats carry (callers widen).
     */
    static Object value(JsonNode node, DataType type) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            if (type instanceof BooleanType) {
                return node.isBoolean() ? node.booleanValue() : null;
            } else if (type instanceof ByteType) {
                return node.isIntegralNumber() ? node.bigIntegerValue().byteValueExact() : null;
            } else if (type instanceof ShortType) {
                return node.isIntegralNumber() ? node.bigIntegerValue().shortValueExact() : null;
            } else if (type instanceof IntegerType) {
                return node.isIntegralNumber() ? node.bigIntegerValue().intValueExact() : null;
            } else if (type instanceof LongType) {
                return node.isIntegralNumber() ? node.bigIntegerValue().longValueExact() : null;
            } else if (type instanceof FloatType) {
                return node.isNumber() || node.isTextual() ? Float.parseFloat(numberText(node)) : null;
            } else if (type instanceof DoubleType) {
                return node.isNumber() || node.isTextual() ? Double.parseDouble(numberText(node)) : null;
            } else if (type instanceof DecimalType d) {
                if (!node.isNumber()) {
                    return null;
                }
                BigDecimal exact = node.decimalValue().setScale(d.getScale(), RoundingMode.UNNECESSARY);
                return exact.precision() > d.getPrecision() ? null : exact;
            } else if (type instanceof DateType) {
                return node.isTextual() ? Math.toIntExact(LocalDate.parse(node.textValue(), DateTimeFormatter.ISO_LOCAL_DATE)
                        .toEpochDay()) : null;
            } else if (type instanceof TimestampType) {
                return node.isTextual() ? PostgresDeltaTypes.micros(OffsetDateTime.parse(node.textValue(),
                        DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()) : null;
            } else if (type instanceof TimestampNTZType) {
                return node.isTextual() ? PostgresDeltaTypes.micros(LocalDateTime.parse(node.textValue(),
                        DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC)) : null;
            } else if (type instanceof StringType) {
                return node.isTextual() ? node.textValue() : null;
            }
            // binary (lossy UTF-8 text in Kernel's stats), nested and other types: no bound.
            return null;
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            return null; // not exactly representable in the column's type: no bound, the file is read
        }
    }

    /** A number as written ({@code 1.5E+3}), or the special float words ({@code NaN}, {@code Infinity}). */
    private static String numberText(JsonNode node) {
        return node.isNumber() ? node.decimalValue().toString() : node.textValue();
    }

    /**
     * The same JSON with the top-level {@code tightBounds} set to false (added if absent), every
     * other character unchanged. For a file given a deletion vector: its bounds still hold but may no
     * longer be reached. Returns the input when it is not a JSON object.
     */
    static String withoutTightBounds(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return json;
            }
            while (true) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    return json;
                }
                if (t == JsonToken.END_OBJECT) {
                    int end = (int) p.currentTokenLocation().getCharOffset();
                    String before = json.substring(0, end);
                    String sep = before.strip().endsWith("{") ? "" : ",";
                    return before + sep + "\"" + TIGHT_BOUNDS + "\":false" + json.substring(end);
                }
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (TIGHT_BOUNDS.equals(field)) {
                    int from = (int) p.currentTokenLocation().getCharOffset();
                    p.skipChildren();
                    int to = (int) p.currentLocation().getCharOffset();
                    return json.substring(0, from) + "false" + json.substring(to);
                }
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            return json;
        }
    }

    /**
     * A written file with only the statistics Kernel's serializer writes exactly: min/max of
     * {@code binary} columns and of timestamps outside years 1–9999 are dropped (null counts kept).
     */
    static DataFileStatus exactOnly(DataFileStatus file, StructType physical) {
        Optional<DataFileStatistics> stats = file.getStatistics();
        if (stats.isEmpty()) {
            return file;
        }
        Map<Column, Literal> min = new HashMap<>(stats.get().getMinValues());
        Map<Column, Literal> max = new HashMap<>(stats.get().getMaxValues());
        boolean changed = false;
        for (StructField field : physical.fields()) {
            Column c = new Column(field.getName());
            if (!writesExactly(field.getDataType(), min.get(c)) || !writesExactly(field.getDataType(), max.get(c))) {
                min.remove(c);
                max.remove(c);
                changed = true;
            }
        }
        if (!changed) {
            return file;
        }
        return new DataFileStatus(file.getPath(), file.getSize(), file.getModificationTime(), Optional.of(new DataFileStatistics(
                stats.get().getNumRecords(), min, max, stats.get().getNullCount(), stats.get().getTightBounds())));
    }

    /** Years Kernel's timestamp stats format ({@code yyyy}, year of era without era) prints unambiguously. */
    static final long MIN_EXACT_TIMESTAMP_MICROS = PostgresDeltaTypes.micros(LocalDateTime.of(1, 1, 1, 0, 0).toInstant(ZoneOffset.UTC));
    static final long MAX_EXACT_TIMESTAMP_MICROS = PostgresDeltaTypes.micros(
            LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000).toInstant(ZoneOffset.UTC));

    private static boolean writesExactly(DataType type, Literal value) {
        if (value == null || value.getValue() == null) {
            return true;
        }
        if (type instanceof BinaryType) {
            return false;
        }
        if (type instanceof TimestampType || type instanceof TimestampNTZType) {
            long micros = ((Number) value.getValue()).longValue();
            return micros >= MIN_EXACT_TIMESTAMP_MICROS && micros <= MAX_EXACT_TIMESTAMP_MICROS;
        }
        return true;
    }
}
