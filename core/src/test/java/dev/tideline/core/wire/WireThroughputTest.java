package dev.tideline.core.wire;

import static dev.tideline.core.wire.Fixtures.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Prints encode/decode rates on a typical narrow table; asserts correctness only, never timings. */
class WireThroughputTest {

    @Test
    void printsRowsPerSecond() {
        RelationSchema schema = new RelationSchema(16_400, TableId.of("public", "orders"), ReplicaIdentity.DEFAULT, List.of(
                new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("customer", PgType.TEXT, -1, false),
                new ColumnSchema("amount", PgType.NUMERIC, -1, false), new ColumnSchema("status", PgType.INT4, -1, false),
                new ColumnSchema("created_at", PgType.TIMESTAMPTZ, -1, false), new ColumnSchema("note", PgType.TEXT, -1, false)));
        int rows = 200_000;
        List<Row> data = new ArrayList<>(rows);
        Instant t = Instant.parse("2024-05-01T12:00:00.123456Z");
        for (int i = 0; i < rows; i++) {
            data.add(Row.of((long) i, "customer-" + (i % 1000), BigDecimal.valueOf(i * 37L, 2), i % 5, t.plusSeconds(i), i % 3 == 0 ? null : "note"));
        }
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT);
        List<EncodedMessage> messages = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            messages.clear();
            long start = System.nanoTime();
            int seq = 0;
            builder.start(schema, Lsn.of(1000), t, 1, seq);
            for (int i = 0; i < rows; i++) {
                if (builder.isFull()) {
                    messages.add(builder.finish(false));
                    builder.start(schema, Lsn.of(1000), t, 1, ++seq);
                }
                builder.insert(i, data.get(i));
            }
            messages.add(builder.finish(true));
            long encoded = System.nanoTime();
            int decodedRows = 0;
            long bytes = 0;
            for (EncodedMessage m : messages) {
                decodedRows += ((ChangeBatch.Rows) WireCodec.decode(m.headers(), m.body())).changes().size();
                bytes += m.body().length;
            }
            long decoded = System.nanoTime();
            assertEquals(rows, decodedRows);
            System.out.printf("wire round %d: %d rows in %d messages, %.1f bytes/row; encode %.0f rows/s, decode %.0f rows/s%n",
                    round, rows, messages.size(), bytes / (double) rows, rows / ((encoded - start) / 1e9), rows / ((decoded - encoded) / 1e9));
        }
    }
}
