package dev.tideline.delta.kernel;

import io.delta.kernel.CommitActions;
import io.delta.kernel.CommitRange;
import io.delta.kernel.Snapshot;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.DeltaLogActionUtils.DeltaAction;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.SnapshotImpl;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.actions.DeletionVectorDescriptor;
import io.delta.kernel.internal.actions.SingleAction;
import io.delta.kernel.internal.data.GenericRow;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.internal.data.TransactionStateRow;
import io.delta.kernel.internal.deletionvectors.Base85Codec;
import io.delta.kernel.internal.deletionvectors.DeletionVectorStoredBitmap;
import io.delta.kernel.internal.util.ColumnMapping;
import io.delta.kernel.internal.util.VectorUtils;
import io.delta.kernel.transaction.ReplaceTableTransactionBuilder;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Everything Tideline needs from Delta Kernel's {@code io.delta.kernel.internal} packages, in one
 * class. Those classes are not Kernel's API: they change between releases without notice, and this
 * code is written against the Kernel version pinned in the parent pom ({@code delta-kernel.version},
 * 4.4.0). Kernel 4.4 has no public API for what row-level changes and change reading need — remove
 * actions for files of a scan, add actions with {@code dataChange=false} (compaction) or with a
 * deletion vector, deletion-vector descriptors and their loading, the physical (column-mapped) schema
 * of a transaction or scan, scan-file rows for files named by older log actions, replacing a table,
 * asking a commit range for file actions only — so Tideline uses the internal classes, but only
 * here: upgrading Kernel means re-checking this package and nothing else.
 *
 * <p>The methods speak Tideline's types ({@link AddedFile}, {@link DeletionVectorRef},
 * {@link DeletionVectorBitmap}) or Kernel's public ones ({@code Row}, {@code StructType},
 * {@code FileStatus}); no internal type leaves this package. Each method says which internal class it
 * relies on. {@code KernelImportRuleTest} fails the build when main code elsewhere imports
 * {@code io.delta.kernel.internal}.
 */
public final class KernelInternals {

    private KernelInternals() {
    }

    // ---- scans and transactions --------------------------------------------------------------------

    /** The {@code add} action of a scan-file row (from {@code Scan.getScanFiles}). Relies on {@code InternalScanFileUtils.ADD_FILE_ORDINAL}, {@code AddFile}. */
    public static AddedFile addFileOf(Row scanFileRow) {
        return new AddedFile(new AddFile(scanFileRow.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL)));
    }

    /** The data file of a scan-file row (absolute path, size, modification time). Relies on {@code InternalScanFileUtils.getAddFileStatus}. */
    public static FileStatus fileStatusOf(Row scanFileRow) {
        return InternalScanFileUtils.getAddFileStatus(scanFileRow);
    }

    /** The physical schema data files of this transaction must be written with (column mapping names). Relies on {@code TransactionStateRow}. */
    public static StructType physicalSchema(Row transactionState) {
        return TransactionStateRow.getPhysicalSchema(transactionState);
    }

    /** The physical schema to read data files of a scan with (with the row index column when deletion vectors exist). Relies on {@code ScanStateRow}. */
    public static StructType physicalReadSchema(Row scanState) {
        return ScanStateRow.getPhysicalDataReadSchema(scanState);
    }

    /**
     * The JSON text {@link #physicalReadSchema} parses (Kernel parses it on every call): equal text, equal schema, so a
     * caller may keep the parsed schema while the text stays the same. Relies on {@code ScanStateRow}'s
     * {@code physicalSchemaJson} field.
     */
    public static String physicalReadSchemaJson(Row scanState) {
        return scanState.getString(scanState.getSchema().indexOf("physicalSchemaJson"));
    }

    /**
     * What a transaction's {@link #physicalSchema} and Kernel's write context ({@code Transaction.getWriteContext}:
     * target directory, statistics columns) are derived from — its state's schema texts, table configuration and
     * path — as a value: two transaction states with equal keys give equal schemas and write contexts, so a caller
     * may keep those (Kernel parses the schema JSON on every call). Relies on {@code TransactionStateRow}'s fields.
     */
    public static List<Object> writeShapeKey(Row transactionState) {
        StructType fields = transactionState.getSchema();
        return Arrays.asList(transactionState.getString(fields.indexOf("logicalSchemaString")), // null-tolerant, unlike List.of
                transactionState.getString(fields.indexOf("physicalSchemaString")),
                TransactionStateRow.getConfiguration(transactionState), TransactionStateRow.getTablePath(transactionState));
    }

    /** The table root recorded in a scan state, as a URI string. Relies on {@code ScanStateRow}. */
    public static String tableRoot(Row scanState) {
        return ScanStateRow.getTableRoot(scanState).toString();
    }

    /** Whether the scan's table renames columns in its data files (column mapping mode other than {@code none}). Relies on {@code ScanStateRow}, {@code ColumnMapping}. */
    public static boolean hasColumnMapping(Row scanState) {
        return ScanStateRow.getColumnMappingMode(scanState) != ColumnMapping.ColumnMappingMode.NONE;
    }

    /**
     * A scan-file row for a data file named by a log action, so that {@code Scan.transformPhysicalData}
     * reads it (deletion vector, partition values, column mapping) like a file of a scan. Relies on
     * {@code InternalScanFileUtils.SCAN_FILE_SCHEMA}, {@code AddFile.SCHEMA_WITHOUT_STATS}, {@code GenericRow}.
     *
     * @param tableRoot       the table's root URI (as in the scan state)
     * @param path            the action's {@code path} (relative to the root, or absolute)
     * @param partitionValues the action's {@code partitionValues} map, may be {@code null}
     * @param size            the file size, 0 when the action does not record it
     * @param deletionVector  the action's {@code deletionVector} struct, {@code null} for none
     */
    public static Row scanFileRow(String tableRoot, String path, MapValue partitionValues, long size, Row deletionVector) {
        Map<String, Object> add = new HashMap<>();
        add.put("path", path);
        add.put("partitionValues", partitionValues);
        add.put("size", size);
        add.put("modificationTime", 0L);
        add.put("dataChange", Boolean.TRUE);
        add.put("deletionVector", deletionVector);
        return scanFileRow(tableRoot, add, false);
    }

    /**
     * The scan-file row a scan of the committed version would hand out for the file an {@code add} action publishes
     * (statistics and deletion vector included), built from the action, so that a writer that just committed it need not
     * replay the log to list its files. Null when {@code action} is not an {@code add}. Every value is copied: the row
     * refers to nothing of the batch {@code action} may be a view on. Relies on {@code AddFile.SCHEMA_WITH_STATS},
     * {@code InternalScanFileUtils.SCAN_FILE_SCHEMA_WITH_STATS}, {@code DeletionVectorDescriptor}, {@code GenericRow}.
     *
     * @param action    a single action row ({@code add}, {@code remove} … one of them set), or an {@code add} row itself
     * @param tableRoot the table's root URI, as in the scan state ({@link #tableRoot})
     */
    public static Row scanFileRowOf(Row action, String tableRoot) {
        Row add = action;
        int addField = action.getSchema().indexOf("add");
        if (addField >= 0) {
            if (action.isNullAt(addField)) {
                return null;
            }
            add = action.getStruct(addField);
        }
        StructType schema = AddFile.SCHEMA_WITH_STATS;
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < schema.length(); i++) {
            String name = schema.at(i).getName();
            int from = add.getSchema().indexOf(name);
            if (from < 0 || add.isNullAt(from)) {
                continue;
            }
            DataType type = schema.at(i).getDataType();
            Object value;
            if (type instanceof StringType) {
                value = add.getString(from);
            } else if (type instanceof LongType) {
                value = add.getLong(from);
            } else if (type instanceof BooleanType) {
                value = add.getBoolean(from);
            } else if (type instanceof MapType) {
                value = VectorUtils.stringStringMapValue(VectorUtils.<String, String>toJavaMap(add.getMap(from)));
            } else if ("deletionVector".equals(name)) {
                value = DeletionVectorDescriptor.fromRow(add.getStruct(from)).toRow();
            } else {
                throw new IllegalStateException("add." + name + ": no copy for " + type);
            }
            values.put(name, value);
        }
        return scanFileRow(tableRoot, values, true);
    }

    /**
     * The one builder of scan-file rows: an {@code add} entry with {@code values} (by field name; a field not named is
     * null) under the table root. Relies on {@code AddFile.SCHEMA_WITH_STATS}/{@code SCHEMA_WITHOUT_STATS},
     * {@code InternalScanFileUtils.SCAN_FILE_SCHEMA_WITH_STATS}/{@code SCAN_FILE_SCHEMA}, {@code GenericRow}.
     *
     * @param withStats whether the entry has the {@code stats} field (a scan's rows with statistics) or not
     */
    private static Row scanFileRow(String tableRoot, Map<String, Object> values, boolean withStats) {
        StructType addSchema = withStats ? AddFile.SCHEMA_WITH_STATS : AddFile.SCHEMA_WITHOUT_STATS;
        Map<Integer, Object> add = new HashMap<>();
        values.forEach((name, value) -> add.put(addSchema.indexOf(name), value));
        StructType scanFileSchema = withStats ? InternalScanFileUtils.SCAN_FILE_SCHEMA_WITH_STATS : InternalScanFileUtils.SCAN_FILE_SCHEMA;
        Map<Integer, Object> scanFile = new HashMap<>();
        scanFile.put(scanFileSchema.indexOf("add"), new GenericRow(addSchema, add));
        scanFile.put(scanFileSchema.indexOf("tableRoot"), tableRoot);
        return new GenericRow(scanFileSchema, scanFile);
    }

    /** A string-to-string map value (e.g. partition values) as a Java map. Relies on {@code VectorUtils}. */
    public static Map<String, String> toJavaMap(MapValue map) {
        return VectorUtils.toJavaMap(map);
    }

    /** A Java map as Kernel's string-to-string map value (null values allowed). Relies on {@code VectorUtils}. */
    public static MapValue stringMapValue(Map<String, String> map) {
        return VectorUtils.stringStringMapValue(map);
    }

    /**
     * The transaction that replaces {@code snapshot}'s table (a full refresh: new schema and
     * properties, every file removed). Kernel 4.4 builds it only from its internal {@code SnapshotImpl}.
     */
    public static ReplaceTableTransactionBuilder replaceTableTransaction(Snapshot snapshot, StructType schema, String engineInfo) {
        return ((SnapshotImpl) snapshot).buildReplaceTableTransaction(schema, engineInfo);
    }

    /**
     * The {@code add}, {@code remove} and {@code cdc} actions of each commit of {@code range}, validated
     * against {@code start} (the snapshot at its first version). The public {@code getCommitActions} takes
     * a set of the internal {@code DeltaLogActionUtils.DeltaAction}.
     */
    public static CloseableIterator<CommitActions> fileActions(CommitRange range, Engine engine, Snapshot start) {
        return range.getCommitActions(engine, start, Set.of(DeltaAction.ADD, DeltaAction.REMOVE, DeltaAction.CDC));
    }

    // ---- log actions -------------------------------------------------------------------------------

    /** A {@code remove} action (wrapped as a log action row) for a file of the table. Relies on {@code AddFile.toRemoveFileRow}, {@code SingleAction}. */
    public static Row removeAction(AddedFile file, boolean dataChange) {
        return SingleAction.createRemoveFileSingleAction(file.add.toRemoveFileRow(dataChange, Optional.empty()));
    }

    /** An {@code add} action for a written file, with its statistics, flagged with {@code dataChange}. Relies on {@code AddFile}, {@code SingleAction}. */
    public static Row addAction(StructType physicalSchema, String tableRoot, DataFileStatus file, boolean dataChange) {
        return SingleAction.createAddFileSingleAction(addFileOf(physicalSchema, tableRoot, file, dataChange).add.toRow());
    }

    /** The {@code add} entry a written file gets (path relative to the table root, its statistics). Relies on {@code AddFile.convertDataFileStatus}. */
    public static AddedFile addFileOf(StructType physicalSchema, String tableRoot, DataFileStatus file, boolean dataChange) {
        return new AddedFile(AddFile.convertDataFileStatus(physicalSchema,
                URI.create(tableRoot.endsWith("/") ? tableRoot : tableRoot + "/"), file, Map.of(), dataChange, Map.of(),
                Optional.empty(), Optional.empty(), Optional.empty()));
    }

    /**
     * The {@code add} action that re-adds an existing data file with a new deletion vector: same path,
     * size and statistics (which describe the physical file, so they are marked not tight). The
     * statistics are the file's own JSON text with only {@code tightBounds} changed: Kernel's
     * parse-and-reserialize ({@code DataFileStatistics.withoutTightBounds}) goes through doubles and
     * turned {@code -99999999999999999999.999999999999999999} into {@code -1.0E20}, which no
     * {@code decimal(38,18)} reader accepts. Relies on {@code AddFile.createAddFileRow},
     * {@code AddFile.toRowWithOverriddenValue}, {@code SingleAction}.
     *
     * @param withoutTightBounds the statistics JSON with {@code tightBounds} false (the caller's parser)
     */
    public static Row addWithDeletionVector(AddedFile file, StructType physicalSchema, DeletionVectorRef dv,
            UnaryOperator<String> withoutTightBounds) {
        AddFile f = file.add;
        Row add = AddFile.createAddFileRow(physicalSchema, f.getPath(), f.getPartitionValues(), f.getSize(),
                f.getModificationTime(), true, Optional.of(dv.descriptor), f.getTags(), f.getBaseRowId(),
                f.getDefaultRowCommitVersion(), Optional.empty());
        Optional<String> stats = f.getStatsJson();
        if (stats.isPresent()) {
            add = new StatsJsonOverride(add).withStatsJson(withoutTightBounds.apply(stats.get()));
        }
        return SingleAction.createAddFileSingleAction(add);
    }

    /**
     * A copy of a file's {@code add} entry that refers to nothing of the scan batch it was read from. A
     * scan-file row is a view on a whole batch of the log: an entry kept across the rounds of a staged
     * commit kept every path and statistics string of its batch, once per round (a 20M-row transaction
     * held ~70 MB of them). Relies on {@code AddFile.createAddFileRow}, {@code VectorUtils}.
     */
    public static AddedFile detached(AddedFile file, StructType physicalSchema) {
        AddFile f = file.add;
        Row add = AddFile.createAddFileRow(physicalSchema, f.getPath(),
                VectorUtils.stringStringMapValue(VectorUtils.<String, String>toJavaMap(f.getPartitionValues())), f.getSize(),
                f.getModificationTime(), f.getDataChange(), f.getDeletionVector(),
                f.getTags().map(t -> VectorUtils.stringStringMapValue(VectorUtils.<String, String>toJavaMap(t))),
                f.getBaseRowId(), f.getDefaultRowCommitVersion(), Optional.empty());
        Optional<String> stats = f.getStatsJson();
        if (stats.isPresent()) {
            add = new StatsJsonOverride(add).withStatsJson(stats.get());
        }
        return new AddedFile(new AddFile(add));
    }

    /** Sets the raw {@code stats} JSON of an add row (Kernel only offers it through a parsed, lossy object). */
    private static final class StatsJsonOverride extends AddFile {
        StatsJsonOverride(Row row) {
            super(row);
        }

        Row withStatsJson(String json) {
            return toRowWithOverriddenValue("stats", json);
        }
    }

    // ---- deletion vectors --------------------------------------------------------------------------

    /** The base85 form of a UUID that names a deletion-vector file (storage type {@code u}). Relies on {@code Base85Codec}. */
    public static String encodeUuid(UUID uuid) {
        return Base85Codec.encodeUUID(uuid);
    }

    /** A descriptor of a deletion vector stored at {@code offset} of the file named by {@code encodedUuid}. Relies on {@code DeletionVectorDescriptor}. */
    public static DeletionVectorRef onDiskDeletionVector(String encodedUuid, int offset, int sizeInBytes, long cardinality) {
        return new DeletionVectorRef(new DeletionVectorDescriptor(DeletionVectorDescriptor.UUID_DV_MARKER, encodedUuid,
                Optional.of(offset), sizeInBytes, cardinality));
    }

    /**
     * The row positions a file's deletion vector removes — the one deletion-vector loader of Tideline
     * (apply-service's merges, sync-service's change reader). Read, size- and checksum-verified, by
     * Kernel's own reader ({@code DeletionVectorStoredBitmap}), for every storage type (in a file of the
     * table root, at an absolute path, inline).
     *
     * @param tableRoot the table root, against which vectors stored in files are resolved
     * @throws IOException the file could not be read, or the vector is damaged
     */
    public static DeletionVectorBitmap loadDeletionVector(Engine engine, String tableRoot, DeletionVectorRef dv) throws IOException {
        long[] positions = new DeletionVectorStoredBitmap(dv.descriptor, Optional.of(tableRoot))
                .load(engine.getFileSystemClient()).toArray();
        return DeletionVectorBitmap.of(positions);
    }
}
