package dev.tideline.control.nats;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * How every service connects to NATS: one set of client options and one retry loop with the
 * {@link Backoff#NATS} schedule. What genuinely differs between callers — whether the client
 * reconnects by itself, and whether it buffers writes meanwhile — is the explicit {@link Reconnect}
 * parameter.
 */
public final class NatsConnect {

    private static final Logger LOG = Logger.getLogger(NatsConnect.class);

    /** How long one connect attempt may take. */
    public static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    /** The wait between the client's own reconnect attempts once a connection was established. */
    public static final Duration RECONNECT_WAIT = Duration.ofSeconds(1);

    /** What the client does when an established connection drops. */
    public enum Reconnect {
        /**
         * Reconnect forever, buffering publishes meanwhile: for long-lived workers whose subscriptions and
         * in-flight publishes should survive a NATS restart.
         */
        FOREVER,
        /**
         * Reconnect forever, but with no reconnect buffer: a write attempted while NATS is away fails now
         * instead of being replayed later, after its caller was told it failed (request/response callers).
         */
        FOREVER_UNBUFFERED,
        /**
         * Never reconnect: a lost connection is an error the caller handles itself (a capture session ends
         * and a new one re-reads from the replication slot).
         */
        NEVER
    }

    /** One attempt at connecting and setting up what needs the connection. */
    @FunctionalInterface
    public interface Attempt {
        void run() throws Exception;
    }

    private NatsConnect() {
    }

    /**
     * Client options.
     *
     * @param urls           one URL or a comma-separated list of them
     * @param connectionName the name the server shows for the connection, e.g. {@code tideline-apply}
     */
    public static Options options(String urls, String connectionName, Reconnect reconnect) {
        return options(urls, connectionName, reconnect, null);
    }

    /** {@link #options(String, String, Reconnect)} with {@code errors} told of the connection's errors and warnings (null: jnats' default). */
    public static Options options(String urls, String connectionName, Reconnect reconnect, ErrorListener errors) {
        Options.Builder builder = new Options.Builder()
                .servers(urls.trim().split("\\s*,\\s*"))
                .connectionName(connectionName)
                .connectionTimeout(CONNECTION_TIMEOUT);
        switch (reconnect) {
            case FOREVER -> builder.maxReconnects(-1).reconnectWait(RECONNECT_WAIT);
            case FOREVER_UNBUFFERED -> builder.maxReconnects(-1).reconnectWait(RECONNECT_WAIT).reconnectBufferSize(0);
            case NEVER -> builder.noReconnect();
        }
        if (errors != null) {
            builder.errorListener(errors);
        }
        return builder.build();
    }

    /** Connects once with {@link #options}; fails if NATS is not reachable now. */
    public static Connection connect(String urls, String connectionName, Reconnect reconnect) throws IOException, InterruptedException {
        return connect(urls, connectionName, reconnect, null);
    }

    /** {@link #connect(String, String, Reconnect)} with an error listener (see {@link #options(String, String, Reconnect, ErrorListener)}). */
    public static Connection connect(String urls, String connectionName, Reconnect reconnect, ErrorListener errors)
            throws IOException, InterruptedException {
        return Nats.connect(options(urls, connectionName, reconnect, errors));
    }

    /**
     * Runs {@code attempt} until it succeeds, waiting {@link Backoff#NATS} between failures and logging the
     * URL and attempt number of each; {@code afterFailure} undoes a failed attempt's half-done work (closes
     * its connection) before the wait.
     *
     * @param urls    the NATS URL(s), for the log
     * @param stopped checked before each attempt: true ends the loop without success
     * @return true once an attempt succeeded; false if stopped or interrupted (the interrupt flag is kept)
     */
    public static boolean retry(String urls, String connectionName, BooleanSupplier stopped, Attempt attempt, Runnable afterFailure) {
        for (int n = 1; !stopped.getAsBoolean(); n++) {
            try {
                attempt.run();
                if (n > 1) {
                    LOG.infof("%s connected to NATS at %s on attempt %d", connectionName, urls, n);
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                afterFailure.run();
                return false;
            } catch (Exception e) {
                Duration wait = Backoff.NATS.delay(n);
                LOG.warnf("%s: NATS at %s not reachable on attempt %d (%s); retrying in %d ms", connectionName, urls, n, e.getMessage(),
                        wait.toMillis());
                afterFailure.run();
                try {
                    Thread.sleep(wait.toMillis()); // nothing to wait on but time: NATS is not there to tell us
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
