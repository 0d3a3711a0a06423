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

    static List<EncodedMessage> encode(String gatewayId, BatchLimits limits, String snapshotId, Lsn validAt, int read, EncodedRows rows) {
        List<EncodedMessage> messages = new ArrayList<>();
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, limits);
        int batch = 0;
        int n = rows.size();
        for (int i = 0; i < n; i++) {
            if (builder.isEmpty()) {
                builder.start(rows.schema(), snapshotId, validAt, read, batch);
            }
            if (!builder.add(rows, i)) {
                messages.add(builder.finish(false));
                builder.start(rows.schema(), snapshotId, validAt, read, ++batch);
                builder.add(rows, i);
            } else if (builder.isFull() && i < n - 1) {
                messages.add(builder.finish(false));
                batch++;
            }
        }
        if (!builder.isEmpty()) {
            messages.add(builder.finish(true));
        }
        return messages;
    }
}
