package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.delta.WarehouseLocation;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithS3;
import io.delta.kernel.engine.Engine;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The applier with its warehouse on a real S3 server (S3Proxy): a random workload of inserts, updates and deletes
 * from a real JetStream stream is committed to Delta tables in the bucket, and the tables, read back with Kernel
 * through a second engine (as sync-service would), equal the source model.
 */
@WithNats
@WithS3
class PipelineApplierS3IT {

    static Engine engine(S3Server s3) {
        return DeltaEngines.forWarehouse(s3.warehouse("apply"), EngineSettings.defaults(),
                S3Settings.compatible(s3.endpoint()));
    }

    @Test
    void aRandomWorkloadIsAppliedExactlyToTablesInABucket(NatsServer nats, S3Server s3) throws Exception {
        String warehouse = WarehouseLocation.of(s3.warehouse("apply")).uri();
        Engine engine = engine(s3);
        DeltaEngines.verifyAtomicCommits(engine, warehouse);
        SourceModel model = new SourceModel(11);
        List<String> failures = new CopyOnWriteArrayList<>();
        ApplyListener listener = new ApplyListener() {
            @Override
            public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
            }

            @Override
            public void failed(TableTarget target, TidelineException error) {
                failures.add(target.fullName() + ": " + error.getMessage());
            }
        };
        try (StagingStream stream = new StagingStream(nats.url(), "gws3");
             Connection c = Nats.connect(new Options.Builder().server(nats.url()).build())) {
            for (int i = 0; i < 60; i++) {
                stream.transaction(model.randomTransaction(true));
            }
            try (PipelineApplier applier = new PipelineApplier(c, "gws3", "ps3", PipelineApplierIT.routes(), engine, warehouse,
                    PipelineApplierIT.FAST.withAckWait(Duration.ofSeconds(5)), WriterSettings.DEFAULT.withCompactAfterFiles(8),
                    listener)) {
                applier.start();
                applier.runUntilCaughtUp(Duration.ofSeconds(120));
                for (int i = 0; i < 30; i++) {
                    stream.transaction(model.randomTransaction(true));
                }
                applier.runUntilCaughtUp(Duration.ofSeconds(120));
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());

        Engine reader = engine(s3); // another engine, as another process would have
        for (Object[] t : new Object[][] {{SourceModel.ORDERS, "sales", "orders"}, {SourceModel.ITEMS, "shop", "line items"}}) {
            TableId source = (TableId) t[0];
            DeltaTableWriter table = DeltaTableWriter.open(reader, WarehouseLocation.of(warehouse).table("main", (String) t[1], (String) t[2]),
                    "ps3/" + source.schema() + "." + source.name(), source, WriterSettings.DEFAULT);
            assertEquals(model.expected(source), SourceModel.actual(table, model.schemas.get(source).columnCount()), source.toString());
            DeltaHistory.assertNoTransactionAppliedTwice(s3.bucketDirectory(S3Server.BUCKET).resolve("apply/main/" + t[1] + "/"
                    + dev.tideline.core.naming.IdentifierTokens.encode((String) t[2])));
        }
        try (Stream<Path> files = Files.walk(s3.bucketDirectory(S3Server.BUCKET).resolve("apply/main/sales/orders"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".parquet")), "data files are objects in the bucket");
        }
    }
}
