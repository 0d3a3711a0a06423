package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.control.ControlJson;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;
import io.nats.client.Connection;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.PublishOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lag history the console charts, kept in NATS JetStream — the system's state store — so it survives an
 * api-service restart and every replica reads the same history: stream {@value #STREAM} over
 * {@code tideline.lag.<kind>.<id>} (the id encoded as every identifier in a subject is, {@link IdentifierTokens}), file storage, samples older than
 * {@code tideline.console.lag-history-hours} dropped by the server.
 *
 * <p>Replicas all sample, but each sample carries {@code Nats-Msg-Id = <series>@<time bucket>}: within the
 * stream's duplicate window the server keeps the first sample of a bucket and drops the others, so N replicas
 * store one series, not N interleaved ones. Thread-safe.
 */
@ApplicationScoped
public class LagHistory {

    public static final String STREAM = "TIDELINE_LAG";
    public static final String ROOT = "tideline.lag";
    /** Longer than any sample interval allowed ({@link ApiConfig.Console#lagSampleSeconds} ≤ 60 s). */
    static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(2);
    private static final int BATCH = 5_000;
    private static final Logger LOG = Logger.getLogger(LagHistory.class);

    /**
     * One sample of one series.
     *
     * @param series  {@code pipeline/<id>} or {@code synced/<name>}
     * @param at      when it was taken (epoch milliseconds)
     * @param bytes   lag in bytes of source WAL (pipelines), or null
     * @param seconds lag in seconds (commit → visible), or null when unknown
     * @param versions Delta versions not yet synced (synced tables), or null
     */
    @RegisterForReflection
    public record Sample(String series, long at, Long bytes, Long seconds, Long versions) {
    }

    private final ControlPlaneAccess access;
    private final Duration maxAge;
    private volatile boolean streamReady;

    LagHistory(ControlPlaneAccess access, ApiConfig config) {
        this.access = access;
        this.maxAge = Duration.ofHours(config.console().lagHistoryHours());
    }

    /** The series of an ingestion pipeline. */
    static String pipelineSeries(String pipelineId) {
        return "pipeline/" + pipelineId;
    }

    /** The series of a synced table. */
    static String syncedSeries(String name) {
        return "synced/" + name;
    }

    /** The subject of a series: names may hold dots and any other character, so the id is one encoded token. */
    static String subject(String series) {
        int slash = series.indexOf('/');
        return ROOT + "." + series.substring(0, slash) + "." + IdentifierTokens.encode(series.substring(slash + 1));
    }

    /**
     * Stores {@code sample} as the one sample of its series in time bucket {@code bucket}; a replica that already
     * stored this bucket wins and this one is dropped by the server.
     */
    public void record(Sample sample, long bucket) {
        Connection nats = access.connection();
        ensureStream(nats);
        try {
            nats.jetStream().publish(subject(sample.series()), ControlJson.toBytes(sample),
                    PublishOptions.builder().messageId(sample.series() + "@" + bucket).build());
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot store a lag sample of " + sample.series() + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
    }

    /** The samples of {@code series} (every series when null) taken in the last {@code window}, oldest first, by series. */
    public Map<String, List<Sample>> read(String series, Duration window) {
        Connection nats = access.connection();
        Map<String, List<Sample>> bySeries = new LinkedHashMap<>();
        try {
            if (!streamExists(nats.jetStreamManagement())) {
                return bySeries;
            }
            OrderedConsumerContext consumer = nats.getStreamContext(STREAM).createOrderedConsumer(new OrderedConsumerConfiguration()
                    .filterSubject(series == null ? ROOT + ".>" : subject(series)).deliverPolicy(DeliverPolicy.ByStartTime)
                    .startTime(ZonedDateTime.ofInstant(Instant.now().minus(window), ZoneOffset.UTC)));
            int received;
            do {
                received = 0;
                try (FetchConsumer fetch = consumer.fetch(FetchConsumeOptions.builder().maxMessages(BATCH).noWaitExpiresIn(2_000).build())) {
                    Message message;
                    while ((message = fetch.nextMessage()) != null) {
                        received++;
                        try {
                            Sample sample = ControlJson.fromBytes(message.getData(), Sample.class);
                            bySeries.computeIfAbsent(sample.series(), k -> new ArrayList<>()).add(sample);
                        } catch (IllegalArgumentException e) {
                            LOG.debugf("skipping a lag sample on %s: %s", message.getSubject(), e.getMessage());
                        }
                    }
                }
            } while (received == BATCH);
        } catch (Exception e) { // jnats' fetch and close throw checked exceptions of several kinds
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof TidelineException t) {
                throw t;
            }
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot read the lag history: " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
        return bySeries;
    }

    private boolean streamExists(JetStreamManagement jsm) throws IOException, JetStreamApiException {
        if (streamReady) {
            return true;
        }
        try {
            jsm.getStreamInfo(STREAM);
            streamReady = true;
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10059) { // stream not found
                return false;
            }
            throw e;
        }
    }

    /** Creates the stream when missing; a replica creating it at the same time is fine (same settings). */
    private void ensureStream(Connection nats) {
        if (streamReady) {
            return;
        }
        try {
            JetStreamManagement jsm = nats.jetStreamManagement();
            if (!streamExists(jsm)) {
                try {
                    jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects(ROOT + ".>").storageType(StorageType.File)
                            .retentionPolicy(RetentionPolicy.Limits).discardPolicy(DiscardPolicy.Old).maxAge(maxAge)
                            .duplicateWindow(DUPLICATE_WINDOW).build());
                    LOG.infof("lag history stream %s created (samples kept %s)", STREAM, maxAge);
                } catch (JetStreamApiException e) {
                    if (!streamExists(jsm)) {
                        throw e;
                    }
                }
            }
            streamReady = true;
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot create the lag history stream " + STREAM + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
    }
}
