package dev.tideline.gateway.snapshot;

import dev.tideline.core.Lsn;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.EncodedRows;
import dev.tideline.core.wire.SnapshotBatchBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts one chunk read's rows into SNAPSHOT messages: batches numbered from 0, cut by encoded size
 * only, the last flagged {@code lastInChunk}. An empty chunk yields no message. The rows are
 * already encoded, so this copies bytes and decodes nothing.
 */
final class SnapshotBatches {

    private SnapshotBatches() {
    }

    /** Where {@link #encode(String, BatchLimits, String, Lsn, int, EncodedRows, Out)} hands each message as soon as it is cut. */
    interface Out {
        void accept(EncodedMessage message) throws InterruptedException;
    }

    /** All messages of the chunk read at once (tests and probes; the snapshot itself streams them). */
    static List<EncodedMessage> encode(String gatewayId, BatchLimits limits, String snapshotId, Lsn validAt, int read, EncodedRows rows) {
        List<EncodedMessage> messages = new ArrayList<>();
        try {
            encode(gatewayId, limits, snapshotId, validAt, read, rows, messages::add);
        } catch (InterruptedException e) {
            throw new IllegalStateException("adding to a list is not interrupted", e);
        }
        return messages;
    }

    /**
     * Hands the chunk read's messages to {@code out} one by one, each as soon as it is cut, so that
     * a chunk is never held twice (as rows and as messages): only the messages the publisher has in
     * flight exist beside the rows.
     */
    static void encode(String gatewayId, BatchLimits limits, String snapshotId, Lsn validAt, int read, EncodedRows rows, Out out)
            throws InterruptedException {
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, limits);
        int batch = 0;
        int n = rows.size();
        for (int i = 0; i < n; i++) {
            if (builder.isEmpty()) {
                builder.start(rows.schema(), snapshotId, validAt, read, batch);
            }
            if (!builder.add(rows, i)) {
                out.accept(builder.finish(false));
                builder.start(rows.schema(), snapshotId, validAt, read, ++batch);
                builder.add(rows, i);
            } else if (builder.isFull() && i < n - 1) {
                out.accept(builder.finish(false));
                batch++;
            }
        }
        if (!builder.isEmpty()) {
            out.accept(builder.finish(true));
        }
    }
}
