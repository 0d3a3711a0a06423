package dev.tideline.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource starting a {@link NatsServer} (JetStream on) before the application and
 * closing it after the tests. It returns this configuration:
 * <ul>
 *   <li>{@code tideline.nats.url}: the server URL, {@code nats://127.0.0.1:<port>}.</li>
 * </ul>
 * A field of type {@link NatsServer} annotated {@link InjectTestServer} receives the server.
 */
public class NatsTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String NATS_URL = "tideline.nats.url";

    private NatsServer server;

    @Override
    public Map<String, String> start() {
        server = NatsServer.create();
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return Map.of(NATS_URL, server.url());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(InjectTestServer.class, NatsServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
