package dev.tideline.core.value;

/**
 * Stands for a column value that Postgres did not send because it is a TOASTed value that the
 * update did not change (pgoutput tuple kind {@code 'u'}). The consumer keeps the value it already
 * has for that column.
 */
public enum UnchangedToast {
    VALUE;

    @Override
    public String toString() {
        return "<unchanged toast>";
    }
}
