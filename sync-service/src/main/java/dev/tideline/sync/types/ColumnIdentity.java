package dev.tideline.sync.types;

import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;

/**
 * Which stored column a logical Delta column is, independent of its current name: under column mapping
 * ({@code delta.columnMapping.mode} {@code name} or {@code id}) a column's data lives under its physical name, which a
 * rename keeps and a drop + re-add under the same name does not. Without column mapping the physical name is
 * the logical name. Nested fields of structs (also inside arrays and maps) are part of a column's identity, because
 * their names are part of the JSONB value Postgres holds.
 *
 * <p>The text form is the physical name, followed for nested types by {@code {name=identity,...}}, {@code [element]}
 * or {@code <key,value>}. Two identities are equal exactly when the column reads the same stored data under the same
 * names. The column-mapping id is deliberately left out: a new column gets a new physical name in both {@code name}
 * and {@code id} mode, while turning column mapping on for an existing table gives every column an id but keeps its
 * name as its physical name — the same stored column, which must not look like a new one.
 */
public final class ColumnIdentity {

    static final String PHYSICAL_NAME = "delta.columnMapping.physicalName";

    private ColumnIdentity() {
    }

    /** The identity of a top-level column. */
    public static String of(StructField field) {
        return top(field) + nested(field.getDataType());
    }

    /** The part of an identity that names the top-level stored column (without nested fields). */
    public static String topLevel(String identity) {
        int cut = identity.length();
        for (char c : new char[] {'{', '[', '<'}) {
            int i = identity.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return identity.substring(0, cut);
    }

    private static String top(StructField field) {
        FieldMetadata m = field.getMetadata();
        return m.contains(PHYSICAL_NAME) ? m.getString(PHYSICAL_NAME) : field.getName();
    }

    private static String nested(DataType type) {
        if (type instanceof StructType s) {
            StringBuilder sb = new StringBuilder("{");
            for (StructField f : s.fields()) {
                sb.append(sb.length() > 1 ? "," : "").append(f.getName()).append('=').append(of(f));
            }
            return sb.append('}').toString();
        } else if (type instanceof ArrayType a) {
            return "[" + nested(a.getElementType()) + "]";
        } else if (type instanceof MapType m) {
            return "<" + nested(m.getKeyType()) + "," + nested(m.getValueType()) + ">";
        }
        return "";
    }
}
