/**
 * Snapshots of source tables while the capture streams: chunk planning and parallel chunk reads between WAL
 * watermarks, the exported snapshot when the slot is created, SNAPSHOT batches, and progress kept in KV so a
 * restart resumes from the last published chunk.
 */
package dev.tideline.gateway.snapshot;
