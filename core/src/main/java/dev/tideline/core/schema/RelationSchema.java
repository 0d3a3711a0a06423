package dev.tideline.core.schema;

import dev.tideline.core.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a source table at some point of the stream, as announced by a pgoutput Relation
 * message (which Postgres sends before the first change of a table in a session, and again after
 * every schema change).
 *
 * @param relationOid     the table's OID ({@code pg_class.oid}); stable across renames
 * @param table           schema and name
 * @param replicaIdentity which old-row columns updates and deletes carry
 * @param columns         the published columns in table order (generated and unpublished columns are absent)
 */
public record RelationSchema(int relationOid, TableId table, ReplicaIdentity replicaIdentity, List<ColumnSchema> columns) {

    public RelationSchema {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(replicaIdentity, "replicaIdentity");
        columns = List.copyOf(columns);
    }

    public int columnCount() {
        return columns.size();
    }

    public ColumnSchema column(int index) {
        return columns.get(index);
    }

    /** The index of the column with this exact name, or -1. */
    public int indexOf(String columnName) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(columnName)) {
                return i;
            }
        }
        return -1;
    }

    /** The replica-identity (key) columns, in table order. */
    public List<ColumnSchema> keyColumns() {
        List<ColumnSchema> keys = new ArrayList<>();
        for (ColumnSchema column : columns) {
            if (column.key()) {
                keys.add(column);
            }
        }
        return keys;
    }
}
