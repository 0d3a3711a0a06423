package dev.tideline.testing;

/**
 * Whether Testcontainers can reach a Docker engine. Asked only after the faster local options, and
 * guarded so that a classpath without Testcontainers simply means "no".
 */
final class DockerEngine {

    private static volatile Boolean available;

    private DockerEngine() {
    }

    static boolean available() {
        Boolean known = available;
        if (known == null) {
            boolean result;
            try {
                result = org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
            } catch (Throwable e) {
                // NoClassDefFoundError when Testcontainers was excluded, or any probing failure
                result = false;
            }
            available = known = result;
        }
        return known;
    }
}
