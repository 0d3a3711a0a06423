package dev.tideline.api.synced;

import dev.tideline.api.table.DeltaColumn;

import java.util.Set;

/** Which source column types a synced table cannot carry to Postgres (seed 003's type mapping, "NOT SUPPORTED" rows). */
final class SourceTypes {

    private static final Set<String> UNSUPPORTED = Set.of("GEOGRAPHY", "GEOMETRY", "VARIANT", "OBJECT", "USER_DEFINED_TYPE", "NULL");

    private SourceTypes() {
    }

    static boolean unsupported(DeltaColumn column) {
        return UNSUPPORTED.contains(column.typeName());
    }
}
