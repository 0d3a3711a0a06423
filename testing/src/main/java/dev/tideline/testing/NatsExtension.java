package dev.tideline.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension owning one {@link NatsServer} per test class: started before the first test,
 * shared by all methods and {@code @Nested} classes, closed (and its store deleted) when the class's
 * extension context closes, even when tests fail. Use {@link WithNats}, or
 * {@code @RegisterExtension static final NatsExtension NATS = new NatsExtension();} and
 * {@code NATS.server()}.
 */
public final class NatsExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NatsExtension.class);

    private volatile NatsServer server;

    /** The running server; available from {@code @BeforeAll} on. */
    public NatsServer server() {
        NatsServer s = server;
        if (s == null) {
            throw new IllegalStateException("the NATS test server is not started yet; it starts before the test class's first test");
        }
        return s;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = serverFor(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == NatsServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return serverFor(extensionContext);
    }

    private static NatsServer serverFor(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE).computeIfAbsent(NatsServer.class, key -> {
            NatsServer created = NatsServer.create();
            try {
                return created.start();
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }, NatsServer.class);
    }
}
