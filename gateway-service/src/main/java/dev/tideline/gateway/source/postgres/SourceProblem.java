package dev.tideline.gateway.source.postgres;

/**
 * One thing wrong with a source database, as the operator should read it: what is wrong, and the
 * SQL (or step) that fixes it.
 *
 * @param check  which prerequisite failed
 * @param message what is wrong, naming the setting, role, publication, slot or table
 * @param fix    the SQL that fixes it (run as a superuser or the table owner), or the step to take
 */
public record SourceProblem(Check check, String message, String fix) {

    /** The prerequisites of logical replication that the gateway checks, in the order it checks them. */
    public enum Check {
        WAL_LEVEL,
        REPLICATION_PRIVILEGE,
        WAL_SENDERS,
        REPLICATION_SLOTS,
        PUBLICATION_MISSING,
        PUBLICATION_OPERATIONS,
        TABLE_MISSING,
        TABLE_NOT_READABLE,
        TABLE_NOT_PUBLISHED,
        /** A partitioned table whose changes the publication sends under each partition's name. */
        PARTITIONS_NOT_VIA_ROOT,
        /** The publication's column list leaves out replica-identity (key) columns. */
        KEY_NOT_PUBLISHED,
        TABLE_WITHOUT_IDENTITY,
        SLOT_MISSING,
        SLOT_WRONG_PLUGIN,
        SLOT_WRONG_DATABASE,
        SLOT_IN_USE,
        SLOT_INVALIDATED
    }

    @Override
    public String toString() {
        return message + " Fix: " + fix;
    }
}
