/**
 * The events and requests services send each other on NATS subjects: a table committed or failed, a synced table
 * refreshed, an update or refresh requested.
 */
package dev.tideline.control.message;
