package dev.tideline.core.schema;

import java.util.Objects;

/**
 * One column of a source table as pgoutput describes it.
 *
 * @param name         the column name, exactly as in the catalog (case-sensitive)
 * @param typeOid      the Postgres type OID ({@link PgType} names the built-in ones); user types
 *                     (enums, domains, composites) have OIDs of their own
 * @param typeModifier {@code atttypmod}: length of {@code varchar(n)}, precision/scale of
 *                     {@code numeric(p,s)}, precision of timestamps; {@code -1} when there is none
 * @param key          whether the column belongs to the replica identity (the primary key by default)
 */
public record ColumnSchema(String name, int typeOid, int typeModifier, boolean key) {

    public ColumnSchema {
        Objects.requireNonNull(name, "column name");
    }

    /** The declared precision of {@code numeric(p,s)}, or -1 when unconstrained (or not numeric). */
    public int numericPrecision() {
        return typeOid == PgType.NUMERIC && typeModifier >= 4 ? ((typeModifier - 4) >> 16) & 0xFFFF : -1;
    }

    /** The declared scale of {@code numeric(p,s)}, or -1 when unconstrained (or not numeric). */
    public int numericScale() {
        if (typeOid != PgType.NUMERIC || typeModifier < 4) {
            return -1;
        }
        // Postgres 15+ allows negative scales; the scale is an 11-bit signed field.
        int raw = (typeModifier - 4) & 0x7FF;
        return (raw ^ 1024) - 1024;
    }
}
