package dev.tideline.testing;

/**
 * Thrown by {@code kill()}, {@code stop()} and {@code restart()} of a server this JVM did not start
 * (one named by {@code TIDELINE_TEST_PG_URL} or {@code TIDELINE_TEST_NATS_URL}): killing a shared
 * server would break whoever else uses it. Tests that inject faults guard themselves with
 * {@code Assumptions.assumeTrue(server.supportsFaultInjection())}.
 */
public class FaultInjectionUnsupportedException extends UnsupportedOperationException {

    public FaultInjectionUnsupportedException(String server, String environmentVariable) {
        super(server + " is an existing server named by " + environmentVariable
                + "; it cannot be stopped, killed or restarted from a test. Unset " + environmentVariable
                + " to let the test start a throwaway server, or skip the test with "
                + "Assumptions.assumeTrue(server.supportsFaultInjection()).");
    }
}
