/**
 * Delta Kernel plumbing shared by the services that read and write Delta tables.
 *
 * <ul>
 *   <li>{@link dev.tideline.delta.DeltaEngines}: the Kernel {@code Engine} of a warehouse — a fast
 *       {@code java.nio} file layer for {@code file:} warehouses, the AWS SDK for {@code s3://}, Hadoop file systems
 *       otherwise; Parquet
 *       compressed (ZSTD by default) with a target file size ({@link dev.tideline.delta.EngineSettings}).</li>
 *   <li>{@link dev.tideline.delta.WarehouseLocation}: the warehouse every service uses, parsed once (local,
 *       {@code s3://}, or a Hadoop URI); {@link dev.tideline.delta.TableLocations}:
 *       {@code <warehouse>/<catalog>/<schema>/<table>}.</li>
 *   <li>{@code s3://} warehouses: {@code S3FileIO} (Kernel's file layer) on {@link dev.tideline.delta.S3ObjectStore}
 *       (AWS SDK v2, no Hadoop), configured by {@link dev.tideline.delta.S3Settings}; commits are
 *       {@code If-None-Match: *} writes, checked at start-up by {@link dev.tideline.delta.DeltaEngines#verifyAtomicCommits}.</li>
 *   <li>{@link dev.tideline.delta.kernel}: the one facade over Kernel's internal classes
 *       ({@link dev.tideline.delta.kernel.KernelInternals}) and the deletion-vector loader apply and sync share.</li>
 * </ul>
 */
package dev.tideline.delta;
