package dev.tideline.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Quarkus test resource starting an {@link S3Server} before the application and closing it after the tests. It
 * returns {@code tideline.warehouse=s3://warehouse/<test class or "quarkus">} and the {@code tideline.s3.*}
 * settings, and exports the credentials to the AWS SDK. A field of type {@link S3Server} annotated
 * {@link InjectTestServer} receives the server.
 */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {

    private S3Server server;

    @Override
    public Map<String, String> start() {
        server = S3Server.create();
        try {
            server.start().exportCredentials();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        Map<String, String> config = new HashMap<>(server.tidelineConfig());
        config.put("tideline.warehouse", server.warehouse("quarkus"));
        return config;
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(InjectTestServer.class, S3Server.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
