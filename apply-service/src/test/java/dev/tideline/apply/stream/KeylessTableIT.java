package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.RowConverter;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.TableLayout;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table without a primary key (REPLICA IDENTITY FULL, like pgbench_history), against a real
 * nats-server and a real Delta table: its rows are identified by all their values with NULL equal to
 * NULL, identical rows are kept as often as the source has them, a DELETE removes one occurrence and
 * an UPDATE moves one. A random workload drawn from a small value domain (so that identical rows and
 * NULLs are frequent), applied through abrupt stops between commit and ack and mid-batch, must leave
 * the Delta table equal to the source as a multiset.
 */
@WithNats
class KeylessTableIT {

    static final TableId HISTORY = TableId.of("public", "history");
    static final RelationSchema SCHEMA = new RelationSchema(300, HISTORY, ReplicaIdentity.FULL, List.of(
            new ColumnSchema("tid", PgType.INT4, -1, true),
            new ColumnSchema("delta", PgType.INT8, -1, true),
            new ColumnSchema("filler", PgType.TEXT, -1, true),
            new ColumnSchema("mtime", PgType.TIMESTAMPTZ, -1, true)));
    static final ApplySettings FAST = ApplySettings.DEFAULT.withMaxBatchDelay(Duration.ofMillis(50)).withMaxBatchRows(300)
            .withFetchSize(40).withAckWait(Duration.ofSeconds(2));

    @TempDir
    Path warehouse;

    final List<String> failures = new CopyOnWriteArrayList<>();
    final ApplyListener recorder = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, dev.tideline.core.sink.SinkCommit outcome) {
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
            failures.add(error.getMessage());
        }
    };

    /** The source table as a multiset, and the random changes that keep it so. */
    static final class History {
        final List<Row> rows = new ArrayList<>();
        final Random random;

        History(long seed) {
            random = new Random(seed);
        }

        Row randomRow() {
            return Row.of(random.nextInt(3), random.nextInt(4) == 0 ? null : (long) random.nextInt(3) - 1,
                    random.nextInt(3) == 0 ? null : random.nextBoolean() ? "" : "x",
                    random.nextInt(4) == 0 ? null : Instant.ofEpochSecond(1_700_000_000L + random.nextInt(2)));
        }

        List<StagingStream.TableChange> transaction(boolean allowTruncate) {
            return transaction(allowTruncate, 1 + random.nextInt(25));
        }

        List<StagingStream.TableChange> transaction(boolean allowTruncate, int n) {
            List<StagingStream.TableChange> changes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int dice = random.nextInt(100);
                if (allowTruncate && dice == 0) {
                    changes.add(StagingStream.TableChange.truncate(SCHEMA));
                    rows.clear();
                } else if (rows.size() < 5 || dice < 50) {
                    Row row = randomRow();
                    changes.add(StagingStream.insert(SCHEMA, row));
                    rows.add(row);
                } else if (dice < 75) {
                    Row old = rows.remove(random.nextInt(rows.size()));
                    changes.add(new StagingStream.TableChange(SCHEMA, RowChange.delete(0, OldRowKind.FULL, old)));
                } else {
                    int at = random.nextInt(rows.size());
                    Row old = rows.get(at);
                    Row row = randomRow();
                    Row sent = row;
                    if (random.nextBoolean()) {
                        // filler unchanged and TOASTed: not sent; the old row (FULL) has it
                        Object[] v = row.values().toArray();
                        v[2] = UnchangedToast.VALUE;
                        sent = Row.of(v);
                        Object[] kept = row.values().toArray();
                        kept[2] = old.get(2);
                        row = Row.of(kept);
                    }
                    changes.add(new StagingStream.TableChange(SCHEMA, RowChange.update(0, OldRowKind.FULL, old, sent)));
                    rows.set(at, row);
                }
            }
            return changes;
        }

        List<String> expected() {
            RowConverter converter = TableLayout.create(SCHEMA, List.of(), ScdType.SCD_TYPE_1).converter(SCHEMA);
            List<String> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(Arrays.toString(converter.toDelta(r, null)));
            }
            out.sort(Comparator.naturalOrder());
            return out;
        }
    }

    List<String> actual() {
        DeltaTableWriter writer = DeltaTableWriter.open(engine(), TableLocations.of(warehouse.toString(), "main", "audit", "history"),
                "pk/public.history", HISTORY, WriterSettings.DEFAULT);
        List<String> out = new ArrayList<>();
        if (writer.exists()) {
            for (Object[] r : writer.readAll()) {
                out.add(Arrays.toString(r));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    io.delta.kernel.engine.Engine engine() {
        return DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
    }

    PipelineApplier applier(NatsServer nats, Connection[] holder) throws Exception {
        return applier(nats, holder, ApplyFaults.NONE);
    }

    PipelineApplier applier(NatsServer nats, Connection[] holder, ApplyFaults faults) throws Exception {
        holder[0] = Nats.connect(new Options.Builder().server(nats.url()).maxReconnects(-1).reconnectWait(Duration.ofMillis(200))
                .errorListener(new PullStatusListener()).build());
        PipelineApplier applier = new PipelineApplier(holder[0], "gwl", "pk", TableRoutes.of(new TableTarget(HISTORY, "main", "audit",
                "history", ScdType.SCD_TYPE_1, List.of())), engine(), warehouse.toString(), FAST,
                WriterSettings.DEFAULT.withCompactAfterFiles(4), recorder, faults);
        applier.start();
        return applier;
    }

    @Test
    void identicalRowsAndNullsAreKeptAsAMultisetThroughAbruptStops(NatsServer nats) throws Exception {
        History source = new History(42);
        Connection[] c = new Connection[1];
        int crashes = 0;
        try (StagingStream stream = new StagingStream(nats.url(), "gwl")) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 15; i++) {
                    stream.transaction(source.transaction(round % 3 == 2));
                }
                String fault = round % 2 == 0 ? ApplyFaults.COMMITTED_BEFORE_ACK : ApplyFaults.MID_FETCH;
                PipelineApplier crashing = applier(nats, c, InjectedCrash.at(fault).arm());
                try {
                    for (int i = 0; i < 100; i++) {
                        crashing.pollOnce();
                    }
                } catch (InjectedCrash expected) {
                    crashes++;
                }
                c[0].close(); // gone without a word: unacknowledged messages come back
            }
            assertTrue(crashes >= 4, "only " + crashes + " of 6 rounds stopped abruptly");
            try (PipelineApplier applier = applier(nats, c)) {
                applier.runUntilCaughtUp(Duration.ofSeconds(60));
            } finally {
                c[0].close();
            }
        }
        assertEquals(List.of(), failures);
        List<String> expected = source.expected();
        assertTrue(expected.size() > 20 && expected.size() > expected.stream().distinct().count(),
                "the workload must leave identical rows behind to prove anything: " + expected.size());
        assertEquals(expected, actual());
    }
}
