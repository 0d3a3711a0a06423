package dev.tideline.core.value;

import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.PgType;

/** Builds the errors for values that do not parse, in one place so they read alike. */
final class InvalidValue {

    /** Values are user data: messages carry at most this many characters of one. */
    static final int EXCERPT_CHARS = 40;

    static final String HINT = "Tideline expects Postgres' default output settings (DateStyle ISO, IntervalStyle postgres, "
            + "UTF-8 client encoding). If these are in effect, this is a Tideline bug: report it with the type and this message.";

    private InvalidValue() {
    }

    static TidelineException text(int typeOid, CharSequence text, String expected) {
        return new TidelineException(TidelineException.Kind.FATAL,
                "invalid " + typeName(typeOid) + " text '" + excerpt(text) + "': expected " + expected, HINT);
    }

    static TidelineException binary(int typeOid, int length, String expected) {
        return new TidelineException(TidelineException.Kind.FATAL,
                "invalid " + typeName(typeOid) + " binary value (" + length + " bytes): expected " + expected, HINT);
    }

    static String excerpt(CharSequence text) {
        if (text.length() <= EXCERPT_CHARS) {
            return text.toString();
        }
        return text.subSequence(0, EXCERPT_CHARS) + "…";
    }

    /** The Postgres name of a type, for messages. */
    static String typeName(int oid) {
        int element = PgType.elementOf(oid);
        if (element > 0) {
            return typeName(element) + "[]";
        }
        return switch (oid) {
            case PgType.BOOL -> "bool";
            case PgType.BYTEA -> "bytea";
            case PgType.CHAR -> "\"char\"";
            case PgType.NAME -> "name";
            case PgType.INT8 -> "int8";
            case PgType.INT2 -> "int2";
            case PgType.INT4 -> "int4";
            case PgType.TEXT -> "text";
            case PgType.OID -> "oid";
            case PgType.JSON -> "json";
            case PgType.XML -> "xml";
            case PgType.FLOAT4 -> "float4";
            case PgType.FLOAT8 -> "float8";
            case PgType.MONEY -> "money";
            case PgType.BPCHAR -> "bpchar";
            case PgType.VARCHAR -> "varchar";
            case PgType.DATE -> "date";
            case PgType.TIME -> "time";
            case PgType.TIMESTAMP -> "timestamp";
            case PgType.TIMESTAMPTZ -> "timestamptz";
            case PgType.INTERVAL -> "interval";
            case PgType.TIMETZ -> "timetz";
            case PgType.NUMERIC -> "numeric";
            case PgType.UUID -> "uuid";
            case PgType.JSONB -> "jsonb";
            default -> "type " + Integer.toUnsignedString(oid);
        };
    }
}
