package dev.tideline.core.schema;

/**
 * A table's {@code REPLICA IDENTITY}: which old-row columns Postgres logs for updates and deletes.
 * The code is the character pgoutput sends ({@code pg_class.relreplident}).
 */
public enum ReplicaIdentity {
    /** The primary key (the default). */
    DEFAULT('d'),
    /** Nothing: updates and deletes cannot be replicated. */
    NOTHING('n'),
    /** Every column of the old row. */
    FULL('f'),
    /** The columns of a chosen unique index. */
    INDEX('i');

    private final char code;

    ReplicaIdentity(char code) {
        this.code = code;
    }

    public char code() {
        return code;
    }

    /** @throws IllegalArgumentException for a character that is not a replica identity code */
    public static ReplicaIdentity fromCode(char code) {
        for (ReplicaIdentity identity : values()) {
            if (identity.code == code) {
                return identity;
            }
        }
        throw new IllegalArgumentException("unknown replica identity code '" + code + "' (expected one of d, n, f, i)");
    }
}
