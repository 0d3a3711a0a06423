package dev.tideline.apply.stream;

import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;

/**
 * An applier in a process of its own, for {@link ApplyProcessKillIT}, to be ended with SIGKILL.
 *
 * <p>Arguments: natsUrl gateway pipeline warehouse mode (an {@code s3://} warehouse is on the server the
 * environment names: {@code TIDELINE_S3_ENDPOINT}, {@code AWS_ACCESS_KEY_ID}, …), where mode is
 * <ul>
 *   <li>{@code AFTER_COMMIT_BEFORE_ACK} / {@code MID_BATCH}: run into that fault point, print {@code PAUSED at <mode>} and wait (the Delta commit is durable, no ack was
 *       sent; or half a fetched batch is routed and nothing of it committed);</li>
 *   <li>{@code RUN}: apply continuously (killed at a random moment: mid-fetch, mid-Parquet write,
 *       mid-deletion-vector write, mid-commit …);</li>
 *   <li>{@code DRAIN}: apply everything staged, print {@code CAUGHT UP} and exit.</li>
 * </ul>
 * The engine fsyncs, as in production.
 */
public final class ApplyProcessMain {

    private ApplyProcessMain() {
    }

    /** A local warehouse, or an {@code s3://} one on the S3-compatible server {@code TIDELINE_S3_ENDPOINT} names. */
    static io.delta.kernel.engine.Engine engine(String warehouse) {
        return warehouse.startsWith("s3://")
                ? DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(), S3Settings.compatible(System.getenv("TIDELINE_S3_ENDPOINT")))
                : DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults());
    }

    public static void main(String[] args) throws Exception {
        String mode = args[4];
        Connection nats = Nats.connect(new Options.Builder().server(args[0]).maxReconnects(-1).reconnectWait(Duration.ofMillis(200))
                .errorListener(new PullStatusListener()).build());
        ApplyListener quiet = new ApplyListener() {
            @Override
            public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
                System.out.println("COMMITTED " + target.fullName() + " v" + outcome.version());
            }

            @Override
            public void failed(TableTarget target, TidelineException error) {
                System.out.println("FAILED " + target.fullName() + ": " + error.getMessage());
            }
        };
        // Straight into the fault: a normal poll first could apply everything staged and leave nothing
        // for the fault point to interrupt.
        ApplyFaults faults = switch (mode) {
            case "AFTER_COMMIT_BEFORE_ACK" -> InjectedCrash.at(ApplyFaults.COMMITTED_BEFORE_ACK).arm();
            case "MID_BATCH" -> InjectedCrash.at(ApplyFaults.MID_FETCH).arm();
            default -> ApplyFaults.NONE;
        };
        PipelineApplier applier = new PipelineApplier(nats, args[1], args[2], PipelineApplierIT.routes(),
                engine(args[3]), args[3],
                PipelineApplierIT.FAST.withAckWait(Duration.ofSeconds(2)), WriterSettings.DEFAULT.withCompactAfterFiles(8), quiet, faults);
        applier.start();
        System.out.println("STARTED");
        System.out.flush();
        switch (mode) {
            case "DRAIN" -> {
                applier.runUntilCaughtUp(Duration.ofSeconds(120));
                applier.close();
                nats.close();
                System.out.println("CAUGHT UP");
                System.exit(0);
            }
            case "RUN" -> {
                while (true) {
                    applier.pollOnce();
                }
            }
            case "AFTER_COMMIT_BEFORE_ACK", "MID_BATCH" -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        applier.pollOnce();
                    }
                    System.out.println("NO FAULT");
                } catch (InjectedCrash crash) {
                    System.out.println("PAUSED at " + mode);
                }
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
    }
}
