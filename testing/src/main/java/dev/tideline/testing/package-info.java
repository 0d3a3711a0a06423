/**
 * Real servers for tests: throwaway Postgres (logical replication on), nats-server with JetStream and an S3 server,
 * on free ports, as JUnit 5 extensions ({@code @WithPostgres}, {@code @WithNats}, {@code @WithS3}) and Quarkus test
 * resources; the machine's binaries first, then containers, then embedded Postgres, unless {@code TIDELINE_TEST_*}
 * variables name servers someone else runs.
 */
package dev.tideline.testing;
