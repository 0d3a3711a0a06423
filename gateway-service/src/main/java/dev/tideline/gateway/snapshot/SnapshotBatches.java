package dev.tideline.gateway.snapshot;

import dev.tideline.core.Lsn;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.SnapshotBatchBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts one chunk read's rows into SNAPSHOT messages: batches numbered from 0, cut by encoded size
 * only, the last flagged {@code lastInChunk}. An empty chunk yields no message.
 */
final class SnapshotBatches {

    private SnapshotBatches() {
    }

    static List<EncodedMessage> encode(String gatewayId, BatchLimits limits, RelationSchema schema, String snapshotId, Lsn validAt, int read,
                                       List<Row> rows) {
        List<EncodedMessage> messages = new ArrayList<>();
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, limits);
        int batch = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (builder.isEmpty()) {
                builder.start(schema, snapshotId, validAt, read, batch);
            }
            if (!builder.add(rows.get(i))) {
                messages.add(builder.finish(false));
                builder.start(schema, snapshotId, validAt, read, ++batch);
                builder.add(rows.get(i));
            } else if (builder.isFull() && i < rows.size() - 1) {
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
