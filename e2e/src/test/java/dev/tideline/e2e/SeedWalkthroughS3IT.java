package dev.tideline.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The same seed walkthrough with the warehouse in a bucket: {@code TIDELINE_LOCAL_S3=1 deploy/local/up.sh} starts a
 * local S3 server (S3Proxy) and gives apply, sync and api {@code TIDELINE_WAREHOUSE=s3://warehouse/tideline} with its
 * endpoint and credentials. Every step of the walkthrough runs unchanged; then the table is shown to live in the
 * bucket.
 */
class SeedWalkthroughS3IT extends SeedWalkthroughIT {

    @Override
    Map<String, String> stackEnvironment() {
        return Map.of("TIDELINE_LOCAL_S3", "1");
    }

    @Test
    @Order(100)
    void theDeltaTableIsInTheBucket() throws Exception {
        JsonNode table = api.get("/api/2.1/unity-catalog/tables/main.neon.playing_with_neon").expect(200).body();
        String location = table.get("storage_location").asText();
        assertTrue(location.equals("s3://warehouse/tideline/main/neon/playing_with_neon"), location);
        Path stored = stack.bucketDirectory("warehouse").resolve("tideline/main/neon/playing_with_neon");
        try (Stream<Path> files = Files.walk(stored)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".parquet")), "data files in the bucket under " + stored);
        }
        assertTrue(Files.exists(stored.resolve("_delta_log/00000000000000000000.json")));
    }
}
