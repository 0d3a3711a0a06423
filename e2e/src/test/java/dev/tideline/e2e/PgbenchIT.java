package dev.tideline.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real workload nobody here wrote, on the stack {@code deploy/local/up.sh} starts: 40 s of {@code pgbench}'s
 * TPC-B-like transactions (4 clients) running through the initial snapshot of a schema-level ingestion
 * pipeline and a CONTINUOUS synced table of {@code pgbench_accounts} (see {@link PgbenchWorkload}). When the
 * load stops, every Delta table equals its source — {@code pgbench_history}, without a key, as a multiset —
 * the synced table equals the source, and no status claims anything it lacks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgbenchIT {

    private PgbenchWorkload bench;

    @BeforeAll
    void startTheStack() throws Exception {
        bench = PgbenchWorkload.onANewStack("PgbenchIT");
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (bench != null) {
            bench.close();
        }
    }

    @Test
    void everyTableAndTheSyncedTableEqualTheSourceAfterPgbench() throws Exception {
        bench.initialiseTheSource();
        bench.createThePipelines();
        // The load runs through the snapshot: chunk reads, their watermark windows and the stream must meet exactly.
        Process load = bench.load("-c", "4", "-j", "2", "-T", "40");
        bench.createTheSyncedTable();
        assertTrue(load.waitFor(3, TimeUnit.MINUTES), "pgbench did not finish");
        String output = new String(load.getInputStream().readAllBytes());
        assertEquals(0, load.exitValue(), output);
        assertTrue(bench.historyRows() > 500, "pgbench ran only " + bench.historyRows() + " transactions: " + output);

        bench.awaitEverythingEqualsTheSource();
        bench.assertNoStatusClaimsAnythingItLacks();
    }
}
