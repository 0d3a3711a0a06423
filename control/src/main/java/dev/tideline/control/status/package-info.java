/**
 * The status records in the {@code tideline-status} KV bucket (pipelines, their tables and updates, synced
 * tables) and lease holders, with their states as Databricks names them.
 */
package dev.tideline.control.status;
