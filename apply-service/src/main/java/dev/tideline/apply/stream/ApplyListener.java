package dev.tideline.apply.stream;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;

/**
 * Told what the applier did, after it happened. Implementations record checkpoints and status and
 * publish events; they are called on the applier's thread or one of its commit threads (never
 * concurrently for one table, but for several tables at once: implementations are thread-safe) and
 * must not block for long. Failures
 * they throw are logged, never undo a commit.
 */
public interface ApplyListener {

    /**
     * A Delta commit is durable and its source messages are acknowledged.
     *
     * @param appliedLsn every source transaction at or below it is in the table
     * @param rowChanges source row changes (or snapshot rows) the commit applied
     */
    void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome);

    /** The table stopped receiving changes until a full refresh; {@code error} says why and the remedy. */
    void failed(TableTarget target, TidelineException error);

    /** A listener that does nothing. */
    ApplyListener NONE = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
        }
    };
}
