package dev.tideline.api.table;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

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
    void catalogsSchemasAndTablesAreListedFromTheWarehouseAPageAtATime() {
        String catalog = unique("lake");
        DeltaLogFixture.at(WAREHOUSE, catalog, "neon", "b_table").column("id", "integer", false).commitMetadata();
        DeltaLogFixture.at(WAREHOUSE, catalog, "neon", "a_table").column("id", "integer", false).commitMetadata();
        DeltaLogFixture.at(WAREHOUSE, catalog, "other", "c_table").column("id", "integer", false).commitMetadata();

        api().when().get("/api/2.1/unity-catalog/catalogs").then().statusCode(200).body("catalogs.name", hasItem(catalog));
        api().when().get("/api/2.1/unity-catalog/catalogs/" + catalog).then().statusCode(200).body("catalog_type", equalTo("MANAGED_CATALOG"));
        api().queryParam("catalog_name", catalog).when().get("/api/2.1/unity-catalog/schemas").then().statusCode(200)
                .body("schemas.full_name", equalTo(List.of(catalog + ".neon", catalog + ".other")));
        String token = api().queryParam("catalog_name", catalog).queryParam("schema_name", "neon").queryParam("max_results", 1)
                .when().get("/api/2.1/unity-catalog/tables").then().statusCode(200)
                .body("tables.full_name", equalTo(List.of(catalog + ".neon.a_table"))).body("tables[0].columns.name", equalTo(List.of("id")))
                .extract().path("next_page_token");
        api().queryParam("catalog_name", catalog).queryParam("schema_name", "neon").queryParam("max_results", 1).queryParam("page_token", token)
                .when().get("/api/2.1/unity-catalog/tables").then().statusCode(200)
                .body("tables.name", equalTo(List.of("b_table"))).body("next_page_token", equalTo(null));
        api().queryParam("catalog_name", catalog).when().get("/api/2.1/unity-catalog/tables").then().statusCode(400)
                .body("message", containsString("schema_name: is required"));
        api().queryParam("catalog_name", "no_such_catalog").when().get("/api/2.1/unity-catalog/schemas").then().statusCode(404);
    }

    @Test
    void existsAnswersWhetherATableIsThereWithoutAnError() {
        String catalog = unique("lake");
        DeltaLogFixture.at(WAREHOUSE, catalog, "public", "t").column("id", "integer", false).commitMetadata();
        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".public.t/exists").then().statusCode(200).body("table_exists", equalTo(true));
        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".public.nope/exists").then().statusCode(200).body("table_exists", equalTo(false));
        api().when().get("/api/2.1/unity-catalog/tables/two.parts/exists").then().statusCode(400);
    }

    @Test
    void missingTablesAre404AndBadNames400() {
        api().when().get("/api/2.1/unity-catalog/tables/nope.public.nothing")
                .then().statusCode(404).body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST")).body("message", containsString("nope.public.nothing"));
        api().when().get("/api/2.1/unity-catalog/tables/only.two")
                .then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE")).body("message", containsString("three parts"));
    }
}
