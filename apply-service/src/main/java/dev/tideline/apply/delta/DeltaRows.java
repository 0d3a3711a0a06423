package dev.tideline.apply.delta;

/** Helpers for Delta rows held as {@code Object[]} in a {@link TableLayout}'s column order. */
public final class DeltaRows {

    /**
     * Placeholder for an unchanged TOASTed value the update did not send: the row keeps the value
     * the table already holds for that column.
     */
    public static final Object KEEP = new Object() {
        @Override
        public String toString() {
            return "<keep stored value>";
        }
    };

    private DeltaRows() {
    }

    /**
     * {@code row} with every {@link #KEEP} replaced by {@code base}'s value (null when there is no
     * base row: Postgres only omits values of rows that exist, so that means the table lost the row).
     */
    static Object[] resolve(Object[] row, Object[] base) {
        Object[] out = null;
        for (int i = 0; i < row.length; i++) {
            if (row[i] == KEEP) {
                if (out == null) {
                    out = row.clone();
                }
                out[i] = base == null ? null : base[i];
            }
        }
        return out == null ? row : out;
    }

    static boolean hasKeep(Object[] row) {
        for (Object v : row) {
            if (v == KEEP) {
                return true;
            }
        }
        return false;
    }
}
