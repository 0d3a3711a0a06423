package dev.tideline.api.table;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** GET /api/2.1/unity-catalog/tables/{full_name} reads a Delta log written by hand into the configured warehouse. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class TablesTest {

    static final Path WAREHOUSE = Path.of("target/test-warehouse");

    @Test
    void showsColumnsLocationFormatAndLatestVersion() {
        String catalog = unique("main");
        DeltaLogFixture.at(WAREHOUSE, catalog, "public", "playing_with_neon")
                .column("id", "integer", false).column("name", "string", false).column("value", "float", true)
                .commitMetadata().commitData().commitData();

        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".public.playing_with_neon")
                .then().statusCode(200)
                .body("full_name", equalTo(catalog + ".public.playing_with_neon"))
                .body("catalog_name", equalTo(catalog))
                .body("schema_name", equalTo("public"))
                .body("name", equalTo("playing_with_neon"))
                .body("data_source_format", equalTo("DELTA"))
                .body("table_type", equalTo("MANAGED"))
                .body("storage_location", startsWith("file:/"))
                .body("storage_location", not(startsWith("file://")))
                .body("storage_location", containsString(catalog + "/public/playing_with_neon"))
                .body("columns.name", equalTo(java.util.List.of("id", "name", "value")))
                .body("columns[0].type_name", equalTo("INT"))
                .body("columns[0].type_text", equalTo("int"))
                .body("columns[0].nullable", equalTo(false))
                .body("columns[2].type_name", equalTo("FLOAT"))
                .body("columns[1].position", equalTo(1))
                .body("properties.'delta.lastUpdateVersion'", equalTo("2"));
    }

    @Test
    void missingTablesAre404AndBadNames400() {
        api().when().get("/api/2.1/unity-catalog/tables/nope.public.nothing")
                .then().statusCode(404).body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST")).body("message", containsString("nope.public.nothing"));
        api().when().get("/api/2.1/unity-catalog/tables/only.two")
                .then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE")).body("message", containsString("three parts"));
    }
}
