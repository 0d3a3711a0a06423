package dev.tideline.apply.stream;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithS3;
import org.junit.jupiter.api.Test;

/**
 * {@link ApplyProcessKillIT}'s {@code kill -9} drill with the warehouse in a bucket of a real S3 server:
 * applier processes killed between a Delta commit and its acks, mid-batch and at random moments
 * (mid multipart upload, mid conditional commit PUT) leave no lost change, no duplicate and no
 * source transaction committed twice once a new process caught up.
 */
@WithNats
@WithS3
class ApplyProcessKillS3IT {

    @Test
    void killedApplierProcessesOnS3LoseAndDuplicateNothing(NatsServer nats, S3Server s3) throws Exception {
        s3.exportCredentials();
        String warehouse = s3.warehouse("killed");
        ApplyProcessKillIT.killedApplierProcessesLoseAndDuplicateNothing(nats, warehouse, s3.environment(),
                (source, catalog, schema, name) -> DeltaTableWriter.open(
                        DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(), S3Settings.compatible(s3.endpoint())),
                        TableLocations.of(warehouse, catalog, schema, name), "pk/" + source.schema() + "." + source.name(), source,
                        WriterSettings.DEFAULT),
                location -> s3.bucketDirectory(S3Server.BUCKET).resolve(location.substring(("s3://" + S3Server.BUCKET + "/").length())));
    }
}
