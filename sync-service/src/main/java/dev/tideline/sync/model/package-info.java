/**
 * What a synced table is, independent of where its spec came from: its definition, target table, scheduling and
 * NUL-byte policies, SQL literals, and the named fault points tests use.
 */
package dev.tideline.sync.model;
