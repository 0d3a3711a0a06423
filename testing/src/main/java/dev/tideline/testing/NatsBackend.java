package dev.tideline.testing;

/** One way of providing a nats-server with JetStream; see {@link NatsServer}. */
interface NatsBackend extends ServerBackend {

    String url();

    NatsServer.Source source();
}
