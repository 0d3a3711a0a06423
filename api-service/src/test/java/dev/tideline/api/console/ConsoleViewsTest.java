package dev.tideline.api.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.IngestionDefinition.SlotConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

/** The pure parts of the console: slot advice, lag charts, human-readable numbers. */
class ConsoleViewsTest {

    private static final CapturePlan PLAN = new CapturePlan("gw", "neon", "neondb", new SlotConfig("tideline_slot", "tideline_pub", false),
            List.of(), Set.of(), List.of());
    private static final long GIB = 1L << 30;

    private static SlotProbe.SlotHealth slot(String walStatus, long retained, boolean active) {
        return new SlotProbe.SlotHealth(PLAN, null, "0/1000", true, walStatus, retained, 0L, null, active, 0);
    }

    @Test
    void aSlotIsOkUntilItRetainsMoreThanTheThresholdOrNobodyReadsIt() {
        assertEquals(SlotAdvice.OK, SlotAdvice.of(slot("reserved", 1024, true), GIB).level());
        assertNull(SlotAdvice.of(slot("reserved", 1024, true), GIB).warning());
        SlotAdvice.Advice big = SlotAdvice.of(slot("reserved", 2 * GIB, true), GIB);
        assertEquals(SlotAdvice.DEGRADED, big.level());
        assertTrue(big.warning().contains("retains 2.0 GiB"), big.warning());
        assertEquals(SlotAdvice.DEGRADED, SlotAdvice.of(slot("reserved", 1024, false), GIB).level());
        assertEquals(SlotAdvice.DEGRADED, SlotAdvice.of(slot("extended", 1024, true), GIB).level());
    }

    @Test
    void aSlotAboutToLoseOrHavingLostWalIsFailedWithTheFix() {
        assertEquals(SlotAdvice.FAILED, SlotAdvice.of(slot("unreserved", 1024, true), GIB).level());
        SlotAdvice.Advice lost = SlotAdvice.of(slot("lost", 1024, true), GIB);
        assertEquals(SlotAdvice.FAILED, lost.level());
        assertTrue(lost.warning().contains("full refresh"), lost.warning());
        SlotAdvice.Advice missing = SlotAdvice.of(new SlotProbe.SlotHealth(PLAN, null, "0/1", false, null, null, null, null, false, 0), GIB);
        assertTrue(missing.warning().contains("pg_create_logical_replication_slot('tideline_slot', 'pgoutput')"), missing.warning());
        assertEquals(SlotAdvice.UNKNOWN, SlotAdvice.of(new SlotProbe.SlotHealth(PLAN, "connection refused", null, false, null, null, null,
                null, false, 0), GIB).level());
    }

    @Test
    void aChartScalesEachLineToItsOwnMaximumOverTheWindow() {
        List<LagHistory.Sample> samples = List.of(new LagHistory.Sample("pipeline/p", 0, 2048L, 10L, null),
                new LagHistory.Sample("pipeline/p", 500, 1024L, 5L, null), new LagHistory.Sample("pipeline/p", 1000, 0L, null, null));
        LagChart.Chart chart = LagChart.of("p", "/console/pipelines/p", samples, 0, 1000);
        assertEquals(3, chart.samples());
        assertEquals("lag (seconds)", chart.lines().get(0).name());
        assertEquals("0.0,6.0 300.0,63.0", chart.lines().get(0).points());
        assertEquals("10s", chart.lines().get(0).max());
        assertEquals("0.0,6.0 300.0,63.0 600.0,120.0", chart.lines().get(1).points());
        assertEquals("2.0 KiB", chart.lines().get(1).max());
        assertEquals("0 B", chart.lines().get(1).latest());
        // a history minutes old is drawn over at least ten minutes, not squeezed to the right edge of the window
        LagChart.Chart young = LagChart.of("p", "/x", List.of(new LagHistory.Sample("pipeline/p", 3_600_000 - 60_000, 1L, 1L, null)), 0, 3_600_000);
        assertEquals("1970-01-01 00:50 UTC", young.from());
        assertEquals("1970-01-01 01:00 UTC", young.to());
        assertEquals("lag (Delta versions)", LagChart.of("s", "/x", List.of(new LagHistory.Sample("synced/s", 0, null, 1L, 1L)), 0, 1)
                .lines().get(1).name());
    }

    @Test
    void numbersReadAsPeopleReadThem() {
        assertEquals("512 B", Bytes.human(512L));
        assertEquals("1.5 KiB", Bytes.human(1536L));
        assertEquals("", Bytes.human(null));
        assertEquals("1m 35s", Bytes.duration(95L));
        assertEquals("2h 0m", Bytes.duration(7200L));
    }

    @Test
    void linksEncodeNamesAsPathSegments() {
        assertEquals("/console/synced-tables/main.s.%3Cimg%20src%3Dx%3E", ConsoleModel.syncedHref("main.s.<img src=x>"));
    }
}
