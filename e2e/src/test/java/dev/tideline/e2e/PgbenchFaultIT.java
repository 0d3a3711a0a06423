package dev.tideline.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link PgbenchIT}'s workload with faults under load, on the stack {@code deploy/local/up.sh} starts: while
 * pgbench runs, each part is killed with SIGKILL in turn ({@code deploy/local/kill.sh}) and started again
 * ({@code restart.sh}) — apply-service, gateway-service, sync-service, api-service, NATS, the source
 * Postgres (a crash: its recovery replays the WAL, and the slot may send again what it had confirmed), and
 * gateway and apply together. Then nothing is lost and nothing doubled: every Delta table and the synced
 * table equal the source, and every status is healthy again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgbenchFaultIT {

    private static final List<List<String>> FAULTS = List.of(List.of("apply"), List.of("gateway"), List.of("sync"), List.of("api"),
            List.of("nats"), List.of("source"), List.of("gateway", "apply"));

    private PgbenchWorkload bench;

    @BeforeAll
    void startTheStack() throws Exception {
        bench = PgbenchWorkload.onANewStack("PgbenchFaultIT");
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (bench != null) {
            bench.close();
        }
    }

    @Test
    void nothingIsLostOrDoubledWhenEachPartIsKilledUnderLoad() throws Exception {
        bench.initialiseTheSource();
        bench.createThePipelines();
        bench.createTheSyncedTable();
        for (List<String> fault : FAULTS) {
            // pgbench does not reconnect: a source crash ends its run early, which is fine — the source is the oracle.
            Process load = bench.load("-c", "4", "-j", "2", "-T", "12");
            Thread.sleep(4_000); // deliberate: the part dies under load, 4 s into the run
            bench.stack().kill(fault.toArray(String[]::new));
            Thread.sleep(2_000); // deliberate: it stays down for 2 s while the load goes on
            bench.stack().restart(fault.toArray(String[]::new));
            assertTrue(load.waitFor(2, TimeUnit.MINUTES), "pgbench did not finish after " + fault);
            load.getInputStream().readAllBytes();
        }
        assertTrue(bench.historyRows() > 500, "pgbench ran only " + bench.historyRows() + " transactions");

        bench.awaitEverythingEqualsTheSource();
        bench.assertNoStatusClaimsAnythingItLacks();
    }
}
