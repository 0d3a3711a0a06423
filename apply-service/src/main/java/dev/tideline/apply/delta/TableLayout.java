package dev.tideline.apply.delta;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The shape of a destination Delta table: its logical columns (the source's columns, plus
 * {@code __START_AT}/{@code __END_AT} for SCD type 2), its key columns and SCD type. The key and
 * SCD type are stored as table properties ({@link #KEY_COLUMNS_PROPERTY}, {@link #SCD_TYPE_PROPERTY})
 * so a restarted applier reads them back from the table itself.
 *
 * <p><b>Schema evolution</b> ({@link #evolve}): a source column the table lacks is added (nullable;
 * older rows read null). A table column the source no longer has is kept and receives null from
 * then on, so a rename shows as a new column next to the old one. A column whose Delta type would
 * change, or a change of the key columns, cannot be applied in place: {@link TidelineException}
 * NEEDS_OPERATOR naming the column, remedy full refresh.
 *
 * <p><b>Keyless tables</b> ({@link #keyless()}): a source table without a primary key or replica
 * identity index is keyed by all its columns, and stays so as columns are added.
 */
public final class TableLayout {

    public static final String START_AT = "__START_AT";
    public static final String END_AT = "__END_AT";
    public static final String KEY_COLUMNS_PROPERTY = "tideline.keyColumns";
    public static final String SCD_TYPE_PROPERTY = "tideline.scdType";

    private final TableId source;
    private final StructType schema;
    private final List<String> keyColumns;
    private final ScdType scdType;
    private final int[] keyIndexes;

    private TableLayout(TableId source, StructType schema, List<String> keyColumns, ScdType scdType) {
        this.source = source;
        this.schema = schema;
        this.keyColumns = List.copyOf(keyColumns);
        this.scdType = scdType;
        this.keyIndexes = new int[keyColumns.size()];
        for (int i = 0; i < keyColumns.size(); i++) {
            keyIndexes[i] = schema.indexOf(keyColumns.get(i));
            if (keyIndexes[i] < 0) {
                throw new IllegalStateException("key column " + keyColumns.get(i) + " is not in the schema");
            }
        }
    }

    /**
     * The layout of a new table for a source relation.
     *
     * @param primaryKeys the table configuration's {@code primary_keys}, or empty to use the
     *                    source's replica identity
     * @throws TidelineException NEEDS_OPERATOR when there is no usable key or the columns cannot be
     *                           Delta columns
     */
    public static TableLayout create(RelationSchema relation, List<String> primaryKeys, ScdType scdType) {
        List<String> keys = new ArrayList<>();
        if (primaryKeys != null && !primaryKeys.isEmpty()) {
            for (String k : primaryKeys) {
                if (relation.indexOf(k) < 0) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "Table " + relation.table() + ": primary key column '" + k + "' of the table configuration is not a "
                                    + "published column of the source table",
                            "fix table_configuration.primary_keys of this table in the pipeline, or add the column to the publication");
                }
                keys.add(k);
            }
        } else {
            for (ColumnSchema c : relation.keyColumns()) {
                keys.add(c.name());
            }
        }
        if (keys.isEmpty()) {
            // No replica identity flagged (the gateway's contract): every column identifies the row.
            for (ColumnSchema c : relation.columns()) {
                keys.add(c.name());
            }
        }
        if (keys.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "Table " + relation.table() + " publishes no columns", "add the table's columns to the publication");
        }
        List<StructField> fields = new ArrayList<>();
        for (ColumnSchema c : relation.columns()) {
            fields.add(new StructField(c.name(), PostgresDeltaTypes.column(c).type(), true));
        }
        if (scdType == ScdType.SCD_TYPE_2) {
            fields.add(new StructField(START_AT, TimestampType.TIMESTAMP, true));
            fields.add(new StructField(END_AT, TimestampType.TIMESTAMP, true));
        }
        requireDistinctNames(relation.table(), fields);
        return new TableLayout(relation.table(), new StructType(fields), keys, scdType);
    }

    /** The layout of an existing table from its logical schema and properties. */
    public static TableLayout existing(TableId source, StructType schema, Map<String, String> properties) {
        String keys = properties.get(KEY_COLUMNS_PROPERTY);
        if (keys == null || keys.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "The Delta table of " + source + " was not created by Tideline (no " + KEY_COLUMNS_PROPERTY + " property)",
                    "point the pipeline at another destination table, or drop this one and run a full refresh");
        }
        List<String> keyColumns = new ArrayList<>();
        for (String token : keys.split(",")) {
            keyColumns.add(IdentifierTokens.decode(token));
        }
        return new TableLayout(source, schema, keyColumns, ScdType.parse(properties.get(SCD_TYPE_PROPERTY)));
    }

    /** The table properties that record this layout. */
    public Map<String, String> properties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put(KEY_COLUMNS_PROPERTY, String.join(",", keyColumns.stream().map(IdentifierTokens::encode).toList()));
        props.put(SCD_TYPE_PROPERTY, scdType.name());
        return props;
    }

    /**
     * This layout, evolved to accept rows of {@code relation}: missing columns appended.
     *
     * @return this when nothing changes
     * @throws TidelineException NEEDS_OPERATOR (remedy: full refresh) for a column whose Delta type
     *                           changes or a change of key columns
     */
    public TableLayout evolve(RelationSchema relation) {
        List<StructField> fields = new ArrayList<>(schema.fields());
        // SCD2 bookkeeping columns stay last.
        List<StructField> tail = new ArrayList<>();
        if (scdType == ScdType.SCD_TYPE_2) {
            tail.add(fields.remove(fields.size() - 1));
            tail.add(0, fields.remove(fields.size() - 1));
        }
        boolean changed = false;
        for (ColumnSchema c : relation.columns()) {
            DataType wanted = PostgresDeltaTypes.column(c).type();
            int existing = schema.indexOf(c.name());
            if (existing >= 0) {
                DataType have = schema.at(existing).getDataType();
                if (!have.equivalent(wanted)) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "Table " + relation.table() + ": column '" + c.name() + "' changed type from "
                                    + PostgresDeltaTypes.typeName(have) + " to " + PostgresDeltaTypes.typeName(wanted)
                                    + " in Delta terms, which Delta cannot apply to existing data",
                            "run a full refresh of this table (POST /api/2.0/pipelines/{id}/updates with full_refresh_selection)");
                }
            } else {
                fields.add(new StructField(c.name(), wanted, true));
                changed = true;
            }
        }
        // Only a key column that disappears is detected: a different replica identity (e.g. FULL,
        // which marks every column) does not change which columns identify a row in Delta.
        for (String k : keyColumns) {
            if (relation.indexOf(k) < 0) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "Table " + relation.table() + ": key column '" + k + "' is no longer in the source table",
                        "run a full refresh of this table so it is rebuilt with the new key");
            }
        }
        if (!changed) {
            return this;
        }
        fields.addAll(tail);
        requireDistinctNames(relation.table(), fields);
        List<String> keys = keyColumns;
        if (keyless()) {
            keys = new ArrayList<>();
            for (StructField f : fields) {
                keys.add(f.getName());
            }
        }
        return new TableLayout(source, new StructType(fields), keys, scdType);
    }

    /**
     * Whether every column is a key column of this SCD type 1 table: a source table without a primary
     * key or replica identity index (REPLICA IDENTITY FULL, or an insert-only table). Its rows are
     * identified by all their values with NULL equal to NULL, and it is a multiset: identical rows are
     * kept as often as the source has them ({@link RowMultiset}).
     */
    public boolean keyless() {
        return scdType == ScdType.SCD_TYPE_1 && keyColumns.size() == schema.length();
    }

    private static void requireDistinctNames(TableId table, List<StructField> fields) {
        Map<String, String> seen = new HashMap<>();
        for (StructField f : fields) {
            String previous = seen.put(f.getName().toLowerCase(Locale.ROOT), f.getName());
            if (previous != null) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "Table " + table + ": columns '" + previous + "' and '" + f.getName()
                                + "' differ only in case, and Delta column names are case-insensitive"
                                + (f.getName().startsWith("__") ? " (SCD type 2 adds " + START_AT + " and " + END_AT + ")" : ""),
                        "rename one of the columns in the source, or leave one out of the publication's column list");
            }
        }
    }

    /**
     * Converts source rows of {@code relation} into Delta rows of this layout. Columns the source
     * lacks are null; unchanged TOAST values become {@link DeltaRows#KEEP}.
     */
    public RowConverter converter(RelationSchema relation) {
        return new RowConverter(this, relation);
    }

    public TableId source() {
        return source;
    }

    public StructType schema() {
        return schema;
    }

    public List<String> keyColumns() {
        return keyColumns;
    }

    public ScdType scdType() {
        return scdType;
    }

    int[] keyIndexes() {
        return keyIndexes;
    }

    public int columnCount() {
        return schema.length();
    }

    public int startAtIndex() {
        return scdType == ScdType.SCD_TYPE_2 ? schema.length() - 2 : -1;
    }

    public int endAtIndex() {
        return scdType == ScdType.SCD_TYPE_2 ? schema.length() - 1 : -1;
    }

    /** The key of a Delta row of this layout. */
    public RowKey keyOf(Object[] row) {
        return RowKey.of(row, keyIndexes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TableLayout l && schema.equals(l.schema) && keyColumns.equals(l.keyColumns) && scdType == l.scdType;
    }

    @Override
    public int hashCode() {
        return Objects.hash(schema, keyColumns, scdType);
    }
}
