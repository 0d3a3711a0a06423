/**
 * Delta values into Postgres: the Delta → Postgres type mapping of synced tables, binary COPY encoding of Delta
 * rows, and the text and JSON forms of values.
 */
package dev.tideline.sync.types;
