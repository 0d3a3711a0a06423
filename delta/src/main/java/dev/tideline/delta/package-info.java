/**
 * Delta Kernel plumbing shared by the services that read and write Delta tables.
 *
 * <ul>
 *   <li>{@link dev.tideline.delta.DeltaEngines}: the Kernel {@code Engine} of a warehouse — a fast
 *       {@code java.nio} file layer for {@code file:} warehouses, Hadoop file systems otherwise; Parquet
 *       compressed (ZSTD by default) with a target file size ({@link dev.tideline.delta.EngineSettings}).</li>
 *   <li>{@link dev.tideline.delta.TableLocations}: {@code <warehouse>/<catalog>/<schema>/<table>}.</li>
 * </ul>
 */
package dev.tideline.delta;
