package dev.tideline.testing.pgoutput;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Re-records the golden pgoutput fixtures into core's test resources. Runs only on request:
 * <pre>
 * ./mvnw -B -o -pl testing test -Dtest=PgOutputFixtureRecorderTest -Dtideline.recordFixtures=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("record-fixtures")
@EnabledIfSystemProperty(named = "tideline.recordFixtures", matches = "true")
class PgOutputFixtureRecorderTest {

    @Test
    void recordFixtures() throws Exception {
        Path dir = Paths.get(System.getProperty("tideline.fixturesDir", "../core/src/test/resources/pgoutput"));
        PgOutputFixtureRecorder.record(dir.toAbsolutePath().normalize());
    }
}
