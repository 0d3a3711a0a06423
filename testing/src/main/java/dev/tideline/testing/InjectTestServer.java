package dev.tideline.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of a {@code @QuarkusTest} class of type {@link PostgresServer} or {@link NatsServer}
 * that {@link PostgresTestResource} / {@link NatsTestResource} fill with the running server, e.g.
 * to {@code kill()} it in a fault-injection test.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface InjectTestServer {
}
