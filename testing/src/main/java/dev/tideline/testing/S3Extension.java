package dev.tideline.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension owning one {@link S3Server} per test class: started when first asked for, shared by all methods
 * and {@code @Nested} classes, closed (objects deleted) when the class's extension context closes. Use
 * {@link WithS3}.
 */
public final class S3Extension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(S3Extension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == S3Server.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        ExtensionContext classContext = extensionContext;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE).computeIfAbsent(S3Server.class, key -> {
            S3Server created = S3Server.create();
            try {
                return new Closing(created.start().exportCredentials());
            } catch (RuntimeException e) {
                created.close();
                throw e;
            }
        }, Closing.class).server;
    }

    /** Closes the server with the store (JUnit closes AutoCloseable store values). */
    private record Closing(S3Server server) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }
}
