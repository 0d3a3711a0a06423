/**
 * The specs api-service stores in the {@code tideline-specs} KV bucket (connections, pipelines, database
 * instances and catalogs, synced tables) and what a gateway captures, derived from them.
 */
package dev.tideline.control.spec;
