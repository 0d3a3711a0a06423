/**
 * Database instances and catalogs ({@code /api/2.0/database/...}): the Postgres that synced tables are written
 * to, provisioned or reached through a connection, and the few admin operations run on it.
 */
package dev.tideline.api.database;
