package dev.tideline.apply.stream;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.impl.ErrorListenerLoggerImpl;
import io.nats.client.support.Status;
import org.jboss.logging.Logger;

/**
 * nats.java's logging error listener, except for the statuses that end every pull of
 * {@link PipelineApplier} normally: 404 (no messages) and 408 (the pull's expiry). nats.java reports
 * them as warnings for pulls issued with {@code pullNoWait}; an idle pipeline ends four pulls a second that
 * way. Connections that an applier pulls on should use it; everything else is logged as by default.
 */
public final class PullStatusListener extends ErrorListenerLoggerImpl {

    private static final Logger LOG = Logger.getLogger(PullStatusListener.class);

    @Override
    public void pullStatusWarning(Connection conn, JetStreamSubscription sub, Status status) {
        if (status.getCode() == 404 || status.getCode() == 408) {
            LOG.tracef("pull ended: %s", status);
            return;
        }
        super.pullStatusWarning(conn, sub, status);
    }
}
