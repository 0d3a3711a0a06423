package dev.tideline.apply.delta;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.core.sink.TableSink;
import dev.tideline.core.wire.ChangeBatch;
import io.delta.kernel.utils.DataFileStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The {@link TableSink} of a Delta table, over {@link DeltaTableWriter}: change batches become
 * {@link RowOp}s of the table's {@link TableLayout} — evolved to each batch's schema, the table created
 * from the first one — converted by {@link RowConverter}s (cached per source schema while the layout
 * stays the same). The commit LSN is the Delta transaction identifier's version
 * ({@link DeltaTableWriter#appliedLsn()}), FAILED the table property {@link DeltaTableWriter#FAILED_PROPERTY}.
 */
public final class DeltaTableSink implements TableSink {

    private static final Logger LOG = Logger.getLogger(DeltaTableSink.class);

    private final DeltaTableWriter writer;
    private final List<String> primaryKeys;
    private final ScdType scdType;
    private final String name;
    private final Map<RelationSchema, RowConverter> converters = new HashMap<>();
    private TableLayout converterLayout;

    /**
     * @param primaryKeys the key columns when the table is created; empty for the source's replica identity
     * @param name        the table's name in logs
     */
    public DeltaTableSink(DeltaTableWriter writer, List<String> primaryKeys, ScdType scdType, String name) {
        this.writer = writer;
        this.primaryKeys = List.copyOf(primaryKeys);
        this.scdType = scdType;
        this.name = name;
    }

    @Override
    public boolean exists() {
        return writer.exists();
    }

    @Override
    public String location() {
        return writer.tablePath();
    }

    @Override
    public Lsn appliedLsn() {
        return writer.appliedLsn();
    }

    @Override
    public String failure() {
        return writer.failure();
    }

    @Override
    public String snapshotId() {
        return writer.snapshotId();
    }

    @Override
    public Optional<SinkCommit> commit(List<ChangeBatch> batches, Lsn commitLsn) {
        // First the layout every batch fits (a commit has one schema), then the rows in it.
        TableLayout layout = layoutFor(batches);
        if (layout == null) {
            return Optional.empty(); // only TRUNCATEs of a table never seen: nothing to create or clear
        }
        return writer.apply(layout, opsOf(layout, batches), commitLsn).map(DeltaTableSink::of);
    }

    @Override
    public Optional<SinkCommit> commitOverSnapshot(List<ChangeBatch> batches, Lsn commitLsn) {
        TableLayout layout = writer.layout();
        for (ChangeBatch b : batches) {
            if (b instanceof ChangeBatch.Rows rows) {
                layout = layout.evolve(rows.schema());
            }
        }
        List<RowOp> ops = new ArrayList<>();
        for (ChangeBatch b : batches) {
            if (b instanceof ChangeBatch.Rows rows) {
                RowOps.add(rows, layout.converter(rows.schema()), ops);
            } else if (b instanceof ChangeBatch.Truncate) {
                ops.clear(); // what came before it is gone, and the reads before it were not loaded
            }
        }
        return writer.applyOverSnapshot(layout, ops, commitLsn).map(DeltaTableSink::of);
    }

    @Override
    public Staged stage(Lsn commitLsn) {
        return new Staged() {
            /** Started at the first round with rows: a table that does not exist yet is created by it. */
            private DeltaTableWriter.StagedCommit staged;

            @Override
            public void round(List<ChangeBatch> batches) {
                TableLayout layout = layoutFor(batches);
                if (layout == null) {
                    return;
                }
                List<RowOp> ops = opsOf(layout, batches);
                if (staged == null) {
                    staged = writer.stage(commitLsn);
                }
                staged.round(layout, ops);
            }

            @Override
            public Optional<SinkCommit> commit(List<ChangeBatch> lastBatches) {
                if (staged == null) {
                    return DeltaTableSink.this.commit(lastBatches, commitLsn);
                }
                TableLayout layout = layoutFor(lastBatches);
                return staged.commit(layout, opsOf(layout, lastBatches)).map(DeltaTableSink::of);
            }

            @Override
            public void abandon() {
                if (staged != null) {
                    staged.abandon();
                    staged = null;
                }
            }
        };
    }

    @Override
    public Replacement replace(RelationSchema schema, String snapshotId, Lsn validAt) {
        TableLayout layout = TableLayout.create(schema, primaryKeys, scdType);
        DeltaTableWriter.Replacement replacement = writer.replace(layout, snapshotId, validAt);
        RowConverter first = layout.converter(schema);
        long startMicros = PostgresDeltaTypes.micros(Instant.now());
        Map<Integer, List<DataFileStatus>> files = new HashMap<>();
        return new Replacement() {
            @Override
            public void write(int read, ChangeBatch.Snapshot rows) {
                RowConverter converter = rows.schema().equals(first.relation()) ? first : layout.converter(rows.schema());
                List<Object[]> deltaRows = new ArrayList<>(rows.rows().size());
                for (Row row : rows.rows()) {
                    Object[] d = converter.toDelta(row, null);
                    for (int i = 0; i < d.length; i++) {
                        if (d[i] == DeltaRows.KEEP) {
                            d[i] = null;
                        }
                    }
                    if (layout.scdType() == ScdType.SCD_TYPE_2) {
                        d[layout.startAtIndex()] = startMicros;
                    }
                    deltaRows.add(d);
                }
                files.computeIfAbsent(read, r -> new ArrayList<>()).addAll(replacement.write(deltaRows));
            }

            @Override
            public SinkCommit commit(Collection<Integer> reads, long rows) {
                List<DataFileStatus> loaded = new ArrayList<>();
                for (Integer read : reads) {
                    loaded.addAll(files.getOrDefault(read, List.of()));
                }
                SinkCommit commit = of(replacement.commit(loaded, rows));
                converters.clear();
                converterLayout = null;
                return commit;
            }
        };
    }

    @Override
    public void markFailed(String reason) {
        writer.markFailed(reason);
    }

    @Override
    public void maintain() {
        try {
            writer.compactIfNeeded();
        } catch (TidelineException e) {
            // Compaction only improves reads; the next attempt retries it.
            LOG.warnf("table %s: compaction failed: %s", name, e.getMessage());
        }
    }

    /**
     * The layout every ROWS batch of {@code batches} fits (a commit has one schema), creating the table
     * from the first one when it does not exist yet; null when the table does not exist and the
     * batches are only TRUNCATEs.
     */
    private TableLayout layoutFor(List<ChangeBatch> batches) {
        TableLayout layout = writer.exists() ? writer.layout() : null;
        for (ChangeBatch b : batches) {
            if (b instanceof ChangeBatch.Rows rows) {
                if (layout == null) {
                    writer.create(TableLayout.create(rows.schema(), primaryKeys, scdType));
                    layout = writer.layout();
                }
                layout = layout.evolve(rows.schema());
            }
        }
        if (layout != null && !layout.equals(converterLayout)) {
            converters.clear();
            converterLayout = layout;
        }
        return layout;
    }

    /** The row operations of {@code batches}, in source order, as rows of {@code layout}. */
    private List<RowOp> opsOf(TableLayout layout, List<ChangeBatch> batches) {
        List<RowOp> ops = new ArrayList<>();
        for (ChangeBatch b : batches) {
            if (b instanceof ChangeBatch.Rows rows) {
                RowOps.add(rows, converters.computeIfAbsent(rows.schema(), layout::converter), ops);
            } else if (b instanceof ChangeBatch.Truncate truncate) {
                RowOps.add(truncate, ops);
            }
        }
        return ops;
    }

    private static SinkCommit of(CommitOutcome o) {
        return new SinkCommit(o.version(), o.rowsWritten(), o.filesAdded(), o.filesRemoved(), o.filesSearched(), o.commitMillis());
    }
}
