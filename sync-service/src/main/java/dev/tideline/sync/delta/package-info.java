/**
 * Reading Delta for synced tables: source snapshots, the row changes between two versions (change data files and
 * deletion vectors), folded into net changes per key within a memory limit, spilling the rest.
 */
package dev.tideline.sync.delta;
