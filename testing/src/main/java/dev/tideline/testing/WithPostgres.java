package dev.tideline.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts one {@link PostgresServer} for the annotated test class (shared by its methods and nested
 * classes) and closes it after the class. Declare a {@code PostgresServer} parameter on a test,
 * lifecycle method or constructor to get it.
 *
 * <pre>{@code
 * @WithPostgres(settings = "logical_decoding_work_mem=64kB")
 * class SlotIT {
 *     @Test void streams(PostgresServer pg) throws Exception { try (var c = pg.connect()) { ... } }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface WithPostgres {

    /** Extra {@code postgresql.conf} settings, each {@code name=value}. */
    String[] settings() default {};
}
