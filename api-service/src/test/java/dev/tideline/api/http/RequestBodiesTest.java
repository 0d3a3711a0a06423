package dev.tideline.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.connection.ConnectionRequest;
import dev.tideline.api.pipeline.PipelineRequest;
import dev.tideline.api.synced.SyncedTableRequest;
import dev.tideline.control.spec.SyncedTableSpec.SchedulingPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;

/** The body policy: trailing commas accepted, unknown fields rejected by path, errors with line and column, no echo of input. */
class RequestBodiesTest {

    @Test
    void acceptsSeed003BodiesWithTrailingCommas() {
        String seed = """
                {
                "name": "pg_db.some_schema.synced_table",
                "spec": {
                "source_table_full_name": "source_catalog.source_schema.source_table",
                "primary_key_columns": ["id"],
                "scheduling_policy": "TRIGGERED",
                },
                "new_pipeline_spec": {
                "storage_catalog": "storage_catalog",
                "storage_schema": "storage_schema",
                }
                }
                """;

        SyncedTableRequest request = RequestBodies.read(seed, SyncedTableRequest.class);

        assertEquals("pg_db.some_schema.synced_table", request.name());
        assertEquals(List.of("id"), request.spec().primaryKeyColumns());
        assertEquals(SchedulingPolicy.TRIGGERED, request.spec().schedulingPolicy());
        assertEquals("storage_schema", request.newPipelineSpec().storageSchema());
    }

    @Test
    void unknownFieldsAreRejectedWithTheirPathAndTheKnownOnes() {
        ApiException e = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"name\": \"a.b.c\", \"spec\": {\"timeseries_keys\": \"ts\"}}", SyncedTableRequest.class));

        assertEquals(ErrorCode.INVALID_PARAMETER_VALUE, e.code());
        assertTrue(e.getMessage().startsWith("spec.timeseries_keys: unknown field"), e.getMessage());
        assertTrue(e.getMessage().contains("timeseries_key]"), e.getMessage());
    }

    @Test
    void databricksFieldsTideLineDoesNotUseAreIgnored() {
        PipelineRequest request = RequestBodies.read("{\"name\": \"gw\", \"catalog\": \"main\", \"channel\": \"PREVIEW\", \"serverless\": true,"
                + " \"gateway_definition\": {\"connection_name\": \"c\", \"connection_id\": \"x\"}}", PipelineRequest.class);

        assertEquals("c", request.gatewayDefinition().connectionName());
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        ApiException e = assertThrows(ApiException.class, () -> RequestBodies.read("{\n  \"name\": \"x\"\n  \"options\": {}\n}", ConnectionRequest.class));

        assertEquals(ErrorCode.MALFORMED_REQUEST, e.code());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("column"), e.getMessage());
    }

    @Test
    void wrongTypesNameTheFieldAndTheExpectedType() {
        ApiException e = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"spec\": {\"primary_key_columns\": \"id\"}}", SyncedTableRequest.class));
        assertTrue(e.getMessage().startsWith("spec.primary_key_columns: must be a JSON array"), e.getMessage());

        ApiException policy = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"spec\": {\"scheduling_policy\": \"HOURLY\"}}", SyncedTableRequest.class));
        assertTrue(policy.getMessage().contains("[SNAPSHOT, TRIGGERED, CONTINUOUS]"), policy.getMessage());
    }

    @Test
    void errorsNeverQuoteTheRequestText() {
        String secret = "s3cr3t-Pa55word";
        ApiException e = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"name\": \"c\", \"options\": {\"password\": \"" + secret + "\", \"port\": [1]}}", ConnectionRequest.class));
        assertFalse(e.getMessage().contains(secret), e.getMessage());

        ApiException broken = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"options\": {\"password\": \"" + secret + "\" \"x\": 1}}", ConnectionRequest.class));
        assertFalse(broken.getMessage().contains(secret), broken.getMessage());

        ApiException unquoted = assertThrows(ApiException.class, () -> RequestBodies.read(
                "{\"options\": {\"password\": " + secret + "}}", ConnectionRequest.class));
        assertEquals(ErrorCode.MALFORMED_REQUEST, unquoted.code());
        assertFalse(unquoted.getMessage().contains(secret), unquoted.getMessage());
    }

    @Test
    void emptyAndNonObjectBodiesAreMalformed() {
        assertEquals(ErrorCode.MALFORMED_REQUEST, assertThrows(ApiException.class, () -> RequestBodies.read("", ConnectionRequest.class)).code());
        assertEquals(ErrorCode.MALFORMED_REQUEST, assertThrows(ApiException.class, () -> RequestBodies.read("[1]", ConnectionRequest.class)).code());
        assertEquals(ErrorCode.MALFORMED_REQUEST, assertThrows(ApiException.class, () -> RequestBodies.read("null", ConnectionRequest.class)).code());
    }
}
