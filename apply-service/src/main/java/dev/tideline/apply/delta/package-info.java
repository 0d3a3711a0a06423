/**
 * Writing destination Delta tables: turning decoded source changes into row operations and committing
 * them to a Delta table with Delta Kernel, exactly once.
 *
 * <h2>Map</h2>
 * <pre>
 *  change batches ──RowOps──▶ RowOp lists ──▶ DeltaTableWriter: apply, StagedCommit, replace, compactIfNeeded
 *                                               │ asks                                    │ commits (Kernel)
 *        ┌───────────────────────────┬──────────┴──────────────┐                          ▼
 *        ▼                           ▼                         ▼                     the Delta log
 *   TouchedRows                  ParquetFiles             CompactionPolicy
 *   ├ KeyRangeFilter (stats)     read and write data      which files to rewrite (pure)
 *   ├ FileKeys, FileKeyCache     files, sorted by key
 *   ├ deleted rows (vectors)           ▲
 *   └ RowMerge / RowMultiset           │ reads through
 *        │ searches                    │
 *        └──▶ SnapshotFiles: the files of the current version
 *
 *   DeletionVectorFile: a commit's deletion vectors, in one file   StagedFiles: a staged commit's bookkeeping
 *   (Kernel internals: dev.tideline.delta.kernel)                  CheckpointExecutors: where checkpoints run
 * </pre>
 *
 * <h2>Jobs</h2>
 * <ul>
 *   <li><b>Shape.</b> {@link dev.tideline.apply.delta.TableLayout} (columns, key, SCD type, evolution),
 *       {@link dev.tideline.apply.delta.PostgresDeltaTypes} and {@link dev.tideline.apply.delta.DeltaColumn}
 *       (type mapping), {@link dev.tideline.apply.delta.RowConverter}, {@link dev.tideline.apply.delta.RowKey}.</li>
 *   <li><b>Operations.</b> {@link dev.tideline.apply.delta.RowOps} turns change batches into
 *       {@link dev.tideline.apply.delta.RowOp}s; {@code RowMerge} (keyed) and
 *       {@code RowMultiset} (keyless) replay them over the stored rows — pure.</li>
 *   <li><b>Commit.</b> {@link dev.tideline.apply.delta.DeltaTableWriter}: one writer per table; create,
 *       apply, staged commit ({@code StagedCommit}, with its bookkeeping in {@code StagedFiles}), replace,
 *       compaction, FAILED marking; the transaction identifier that makes every commit exactly once.</li>
 *   <li><b>Finding touched rows.</b> {@code TouchedRows}: which files may hold a touched key
 *       ({@code KeyRangeFilter}, on statistics), where in them (key columns, cached process-wide), which
 *       positions are already deleted.</li>
 *   <li><b>Data files.</b> {@code ParquetFiles} reads and writes Parquet through the engine;
 *       {@code SnapshotFiles} lists one version's files; {@code FileStatistics} keeps statistics exact;
 *       {@code DeletionVectorFile} stores deleted positions (read back by the delta module's shared loader).</li>
 *   <li><b>Maintenance.</b> {@code CompactionPolicy} decides, {@code DeltaTableWriter#compactIfNeeded}
 *       rewrites; checkpoints run on the executor of {@link dev.tideline.apply.delta.WriterSettings#checkpoints()}
 *       ({@link dev.tideline.apply.delta.CheckpointExecutors}), owned by the apply service.</li>
 *   <li><b>Kernel's internals</b> are reached only through the delta module's facade,
 *       {@link dev.tideline.delta.kernel.KernelInternals} (its {@code AddedFile} and {@code DeletionVectorRef}
 *       stand for Kernel's internal action types); {@code KernelImportRuleTest} keeps it that way.</li>
 * </ul>
 */
package dev.tideline.apply.delta;
