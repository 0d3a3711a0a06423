package dev.tideline.api.pipeline;

import dev.tideline.api.http.ApiException;
import dev.tideline.control.spec.PipelineSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code filter} of {@code GET /api/2.0/pipelines}, in Databricks' grammar: one comparison, no
 * {@code AND}/{@code OR} ("composite filters are not supported" there too). Evaluated here:
 * <ul>
 *   <li>{@code name LIKE 'pattern'} — SQL LIKE, {@code %} any run of characters, {@code _} one character, case-sensitive;</li>
 *   <li>{@code name = 'x'}, {@code id = 'x'} (also {@code pipeline_id}), {@code id IN ('a', 'b')};</li>
 *   <li>{@code notebook = 'path'} — selects nothing: Tideline pipelines run no notebooks.</li>
 * </ul>
 * Anything else (e.g. {@code creator_user_name}: Tideline records no users) is a 400 naming the expression —
 * never ignored, because a script that deletes what a filtered list returns must not get every pipeline back.
 * Keywords are case-insensitive; a quote inside a string literal is doubled ({@code 'it''s'}).
 */
final class PipelineFilter {

    private static final String STRING = "'((?:[^']|'')*)'";
    private static final Pattern COMPARISON = Pattern.compile("\\s*([A-Za-z_]+)\\s*(?i:(LIKE)|(=)|(IN))\\s*(.*?)\\s*", Pattern.DOTALL);
    private static final Pattern LITERAL = Pattern.compile(STRING);
    private static final Pattern LIST = Pattern.compile("\\(\\s*" + STRING + "(?:\\s*,\\s*" + STRING + ")*\\s*\\)");
    private static final String SUPPORTED = "supported: name LIKE '%pattern%', name = 'x', id = 'x', id IN ('a', 'b'), notebook = 'path'";

    private PipelineFilter() {
    }

    /**
     * The predicate {@code filter} describes; everything for null or blank.
     *
     * @throws ApiException 400 naming {@code filter} and the expression when it cannot be evaluated
     */
    static Predicate<PipelineSpec> parse(String filter) {
        if (filter == null || filter.isBlank()) {
            return p -> true;
        }
        Matcher comparison = COMPARISON.matcher(filter);
        if (!comparison.matches()) {
            throw unsupported(filter, "it is not <field> LIKE|=|IN <value>");
        }
        String field = comparison.group(1).toLowerCase(Locale.ROOT);
        String operator = comparison.group(2) != null ? "LIKE" : comparison.group(3) != null ? "=" : "IN";
        String operand = comparison.group(5);
        if (operator.equals("IN")) {
            if (!field.equals("id") && !field.equals("pipeline_id")) {
                throw unsupported(filter, "IN applies to id only");
            }
            List<String> ids = list(filter, operand);
            return p -> ids.contains(p.id());
        }
        String value = literal(filter, operand);
        return switch (field) {
            case "name" -> operator.equals("LIKE") ? like(value) : p -> value.equals(p.name());
            case "id", "pipeline_id" -> {
                if (operator.equals("LIKE")) {
                    throw unsupported(filter, "id takes = or IN");
                }
                yield p -> value.equals(p.id());
            }
            case "notebook" -> p -> false;
            default -> throw unsupported(filter, "Tideline cannot filter on '" + comparison.group(1) + "'");
        };
    }

    private static Predicate<PipelineSpec> like(String pattern) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '%' || c == '_') {
                regex.append(Pattern.quote(literal.toString())).append(c == '%' ? ".*" : ".");
                literal.setLength(0);
            } else {
                literal.append(c);
            }
        }
        regex.append(Pattern.quote(literal.toString()));
        Pattern compiled = Pattern.compile(regex.toString(), Pattern.DOTALL);
        return p -> p.name() != null && compiled.matcher(p.name()).matches();
    }

    private static String literal(String filter, String operand) {
        Matcher m = LITERAL.matcher(operand);
        if (!m.matches()) {
            throw unsupported(filter, "the value must be one quoted string, e.g. 'my%'; composite filters (AND, OR) are not supported");
        }
        return m.group(1).replace("''", "'");
    }

    private static List<String> list(String filter, String operand) {
        if (!LIST.matcher(operand).matches()) {
            throw unsupported(filter, "IN takes a parenthesized list of quoted strings, e.g. ('id-1', 'id-2')");
        }
        List<String> values = new ArrayList<>();
        Matcher m = LITERAL.matcher(operand);
        while (m.find()) {
            values.add(m.group(1).replace("''", "'"));
        }
        return values;
    }

    private static ApiException unsupported(String filter, String why) {
        return ApiException.invalid("filter", "cannot evaluate \"" + filter + "\": " + why + "; " + SUPPORTED);
    }
}
