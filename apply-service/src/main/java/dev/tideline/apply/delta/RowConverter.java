package dev.tideline.apply.delta;

import dev.tideline.core.OrderingKey;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;

/**
 * Converts rows of one source shape into Delta rows of a {@link TableLayout}: values through
 * {@link PostgresDeltaTypes}, columns matched by name, missing columns null, unchanged TOAST values
 * {@link DeltaRows#KEEP}.
 */
public final class RowConverter {

    private final TableLayout layout;
    private final RelationSchema relation;
    private final int[] sourceIndex;
    private final DeltaColumn[] columns;

    RowConverter(TableLayout layout, RelationSchema relation) {
        this.layout = layout;
        this.relation = relation;
        int n = layout.columnCount();
        this.sourceIndex = new int[n];
        this.columns = new DeltaColumn[n];
        for (int i = 0; i < n; i++) {
            String name = layout.schema().at(i).getName();
            int s = relation.indexOf(name);
            sourceIndex[i] = s;
            columns[i] = s < 0 ? null : PostgresDeltaTypes.column(relation.column(s));
        }
    }

    public TableLayout layout() {
        return layout;
    }

    public RelationSchema relation() {
        return relation;
    }

    /**
     * The Delta row of a source row.
     *
     * @param where the change's ordering key (or null for snapshot rows), named in errors
     * @throws TidelineException NEEDS_OPERATOR naming the table, column and ordering key when a value
     *                           cannot be represented in its Delta column
     */
    public Object[] toDelta(Row row, OrderingKey where) {
        Object[] out = new Object[columns.length];
        for (int i = 0; i < columns.length; i++) {
            if (columns[i] == null) {
                continue;
            }
            Object v = row.get(sourceIndex[i]);
            if (row.isUnchangedToast(sourceIndex[i])) {
                out[i] = DeltaRows.KEEP;
                continue;
            }
            try {
                out[i] = columns[i].convert(v);
            } catch (RuntimeException e) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "Table " + relation.table() + ", column '" + columns[i].name() + "'"
                                + (where == null ? " (snapshot row)" : " at " + where) + ": " + e.getMessage(),
                        "change the column's type in the source so Delta can hold its values (numeric(p,s) for numbers, a "
                                + "one-dimensional array, a text copy for values past Delta's range; see 'Value ranges' in "
                                + "docs/reference/type-mapping-postgres-to-delta.md), then run a full refresh of this table", e);
            }
        }
        return out;
    }
}
