package dev.tideline.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts one {@link S3Server} (S3Proxy, filesystem backend, credentials exported to the AWS SDK) for the annotated
 * test class and closes it after the class; declare an {@code S3Server} parameter to get it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(S3Extension.class)
public @interface WithS3 {
}
