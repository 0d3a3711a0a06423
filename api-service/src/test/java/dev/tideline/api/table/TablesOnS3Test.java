package dev.tideline.api.table;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.tideline.delta.S3ObjectStore;
import dev.tideline.delta.S3Settings;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.S3TestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tables and catalogs endpoints with {@code tideline.warehouse=s3://warehouse/quarkus} on a real S3 server
 * (S3Proxy): Delta logs uploaded through S3 are listed and read as from a local warehouse.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = true)
class TablesOnS3Test {

    @InjectTestServer
    S3Server s3;

    /** Writes the fixture's log files locally, then puts each into the bucket under {@code quarkus/}. */
    private void upload(Path local) throws Exception {
        S3ObjectStore store = S3ObjectStore.shared(S3Settings.compatible(s3.endpoint()));
        try (Stream<Path> files = Files.walk(local)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                store.put(S3Server.BUCKET, "quarkus/" + local.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file), false);
            }
        }
    }

    @Test
    void tablesInABucketAreListedAndDescribed() throws Exception {
        Path local = Files.createTempDirectory("tideline-api-s3");
        String catalog = unique("lake");
        DeltaLogFixture.at(local, catalog, "public", "orders").column("id", "long", false).column("note", "string", true)
                .commitMetadata().commitData();
        DeltaLogFixture.at(local, catalog, "public", "items").column("id", "long", false).commitMetadata();
        upload(local);

        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".public.orders")
                .then().statusCode(200)
                .body("storage_location", equalTo("s3://warehouse/quarkus/" + catalog + "/public/orders"))
                .body("columns.name", equalTo(List.of("id", "note")))
                .body("columns[0].type_name", equalTo("LONG"))
                .body("properties.'delta.lastUpdateVersion'", equalTo("1"));
        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".public.nope").then().statusCode(404);
        api().when().get("/api/2.1/unity-catalog/catalogs").then().statusCode(200).body("catalogs.name", hasItem(catalog));
        api().queryParam("catalog_name", catalog).queryParam("schema_name", "public").when().get("/api/2.1/unity-catalog/tables")
                .then().statusCode(200).body("tables.name", equalTo(List.of("items", "orders")));
    }
}
