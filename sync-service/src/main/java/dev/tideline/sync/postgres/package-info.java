/**
 * The target Postgres of synced tables: snapshot loads into scratch tables and swaps, incremental refreshes, the
 * {@code tideline} bookkeeping schema, dependent views, DDL, and error wrapping.
 */
package dev.tideline.sync.postgres;
