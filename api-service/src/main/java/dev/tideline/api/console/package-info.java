/**
 * The console ({@code /console}): server-rendered pages over the specs and status in NATS KV, the event feed,
 * lag history and charts, replication slot health, and the same figures as Prometheus gauges.
 */
package dev.tideline.api.console;
