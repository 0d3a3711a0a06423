package dev.tideline.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit extension owning one {@link PostgresServer} per test class: started before the first test
 * (or on first parameter resolution), shared by all methods and {@code @Nested} classes, and closed
 * (stopped and deleted) when the class's extension context closes, even when tests fail.
 *
 * <p>Use it through {@link WithPostgres}, or register it to hold the server in a field:
 * <pre>{@code
 * @RegisterExtension
 * static final PostgresExtension PG = PostgresExtension.withSettings("logical_decoding_work_mem=64kB");
 * ... PG.server().connect() ...
 * }</pre>
 * Registered on an instance field it still gives one server per class.
 */
public final class PostgresExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);

    private final String[] settings;
    private volatile PostgresServer server;

    /** For {@code @ExtendWith}: settings come from {@link WithPostgres} on the test class. */
    public PostgresExtension() {
        this.settings = null;
    }

    private PostgresExtension(String[] settings) {
        this.settings = settings.clone();
    }

    /** An extension whose server gets these {@code name=value} settings. */
    public static PostgresExtension withSettings(String... nameEqualsValue) {
        return new PostgresExtension(nameEqualsValue);
    }

    /** The running server; available from {@code @BeforeAll} on. */
    public PostgresServer server() {
        PostgresServer s = server;
        if (s == null) {
            throw new IllegalStateException("the Postgres test server is not started yet; it starts before the test class's first test");
        }
        return s;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = serverFor(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return serverFor(extensionContext);
    }

    private PostgresServer serverFor(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        Class<?> testClass = classContext.getRequiredTestClass();
        // AutoCloseable values in a store are closed when its context closes (JUnit 5.13+ / 6).
        return classContext.getStore(NAMESPACE).computeIfAbsent(PostgresServer.class, key -> {
            String[] configured = settings != null ? settings
                    : AnnotationSupport.findAnnotation(testClass, WithPostgres.class).map(WithPostgres::settings).orElse(new String[0]);
            PostgresServer created = PostgresServer.builder().settings(configured).build();
            try {
                return created.start();
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }, PostgresServer.class);
    }
}
