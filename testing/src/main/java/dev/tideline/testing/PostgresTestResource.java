package dev.tideline.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource starting a {@link PostgresServer} before the application and closing it
 * after the tests. It returns this configuration:
 * <ul>
 *   <li>{@code tideline-test.postgres.jdbc-url}: JDBC URL of database {@code postgres};</li>
 *   <li>{@code tideline-test.postgres.user}: a superuser (may create slots and publications);</li>
 *   <li>{@code tideline-test.postgres.password}: its password.</li>
 * </ul>
 * Services map these onto their own properties in {@code application.properties}, e.g.
 * {@code %test.tideline.source.jdbc-url=${tideline-test.postgres.jdbc-url}}.
 *
 * <p>Init argument {@code settings}: extra {@code postgresql.conf} settings, comma-separated
 * {@code name=value} pairs, e.g.
 * {@code @QuarkusTestResource(value = PostgresTestResource.class, initArgs = @ResourceArg(name = "settings",
 * value = "logical_decoding_work_mem=64kB"))}. A field of type {@link PostgresServer} annotated
 * {@link InjectTestServer} receives the server.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String JDBC_URL = "tideline-test.postgres.jdbc-url";
    public static final String USER = "tideline-test.postgres.user";
    public static final String PASSWORD = "tideline-test.postgres.password";

    private String[] settings = new String[0];
    private PostgresServer server;

    @Override
    public void init(Map<String, String> initArgs) {
        String list = initArgs.get("settings");
        if (list != null && !list.isBlank()) {
            settings = list.split("\\s*,\\s*");
        }
    }

    @Override
    public Map<String, String> start() {
        server = PostgresServer.builder().settings(settings).build();
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return Map.of(JDBC_URL, server.jdbcUrl(), USER, server.user(), PASSWORD, server.password());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.AnnotatedAndMatchesType(InjectTestServer.class, PostgresServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
