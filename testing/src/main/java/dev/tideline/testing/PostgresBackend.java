package dev.tideline.testing;

/**
 * One way of providing a Postgres server; {@link PostgresServer} adds the connection helpers. A
 * {@link #kill()} is a crash: the next {@link #start()} runs crash recovery.
 */
interface PostgresBackend extends ServerBackend {

    String host();

    int port();

    String user();

    String password();

    PostgresServer.Source source();
}
