package dev.tideline.testing;

/**
 * A test server could not be found, started, stopped or reached. The message says what was tried
 * and how to fix it; for a server that failed to start it ends with the tail of the server's log.
 */
public class TestServerException extends RuntimeException {

    public TestServerException(String message) {
        super(message);
    }

    public TestServerException(String message, Throwable cause) {
        super(message, cause);
    }
}
