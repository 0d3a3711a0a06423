package dev.tideline.core.naming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import org.junit.jupiter.api.Test;

class SubjectsTest {

    @Test
    void changeSubjectsAndTheirInverse() {
        TableId table = TableId.of("sales data", "order.items");
        String subject = Subjects.changes("gw1", table);
        assertEquals("tideline.cdc.gw1.sales=20data.order=2Eitems", subject);
        assertEquals(table, Subjects.tableOf(subject));
        assertEquals("gw1", Subjects.gatewayOf(subject));
        assertEquals("tideline.cdc.gw1._messages", Subjects.messages("gw1"));
        assertEquals("gw1", Subjects.gatewayOf(Subjects.messages("gw1")));
        assertEquals("tideline.cdc.gw1.>", Subjects.allChanges("gw1"));
        assertEquals("tideline.cdc.gw1.*.*", Subjects.allTables("gw1"));
        assertThrows(IllegalArgumentException.class, () -> Subjects.tableOf(Subjects.messages("gw1")));
        assertThrows(IllegalArgumentException.class, () -> Subjects.tableOf("tideline.cdc.gw1.a.b=2"));
        // A schema literally named "_messages" cannot collide with the messages subject: different token count.
        assertEquals("tideline.cdc.gw1._messages.t", Subjects.changes("gw1", TableId.of("_messages", "t")));
    }

    @Test
    void eventAndControlSubjects() {
        assertEquals("tideline.events.pipeline.p-1.state", Subjects.pipelineState("p-1"));
        assertEquals("tideline.events.table.main.public.orders.committed", Subjects.tableCommitted("main", "public", "orders"));
        assertEquals("tideline.events.table.main.public.orders.failed", Subjects.tableFailed("main", "public", "orders"));
        assertEquals("tideline.events.synced.main=2Epublic=2Eorders_synced.refreshed", Subjects.syncedTableRefreshed("main.public.orders_synced"));
        assertEquals("tideline.events.synced.x.state", Subjects.syncedTableState("x"));
        assertEquals("tideline.control.pipeline.p-1.update", Subjects.pipelineUpdate("p-1"));
        assertEquals("tideline.control.synced.main=2Ep=2Et.refresh", Subjects.syncedTableRefresh("main.p.t"));
        assertEquals("tideline.events.>", Subjects.ALL_EVENTS);
        assertEquals("tideline.control.>", Subjects.ALL_CONTROL);
    }

    @Test
    void idsAreValidatedWithAClearMessage() {
        IllegalArgumentException dot = assertThrows(IllegalArgumentException.class, () -> Subjects.pipelineState("a.b"));
        assertTrue(dot.getMessage().contains("pipeline id 'a.b' contains '.' at index 1"), dot.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> Streams.changes(""));
        assertTrue(empty.getMessage().contains("gateway id is empty"), empty.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> ResourceIds.requireValid("pipeline id", "x".repeat(65)));
        assertTrue(tooLong.getMessage().contains("at most 64"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KvKeys.pipeline(null));
        assertTrue(ResourceIds.isValid("01HZX-abc_9"));
        assertFalse(ResourceIds.isValid("a b"));
        assertFalse(ResourceIds.isValid("é"));
    }

    @Test
    void streamsBucketsAndKeys() {
        assertEquals("TIDELINE_CDC_gw1", Streams.changes("gw1"));
        assertEquals("tideline-checkpoints", KvBuckets.CHECKPOINTS);
        assertEquals("gateway.gw1", KvKeys.gatewayCheckpoint("gw1"));
        assertEquals("apply.p1.public.my=20table", KvKeys.tableApplyCheckpoint("p1", TableId.of("public", "my table")));
        assertEquals("synced.main=2Epublic=2Et", KvKeys.syncedTableCheckpoint("main.public.t"));
        assertEquals("pipeline.p1", KvKeys.pipeline("p1"));
        assertEquals("snapshot.gw1.public.my=20table", KvKeys.snapshotProgress("gw1", TableId.of("public", "my table")));
        assertEquals("snapshot.gw1.public.my=20table.plan.s1x-2_y.3",
                KvKeys.snapshotPlanPage("gw1", TableId.of("public", "my table"), "s1x-2_y", 3));
        assertEquals("snapshot.gw1.public.my=20table.plan.>", KvKeys.snapshotPlanPages("gw1", TableId.of("public", "my table")));
        assertEquals("snapshot.gw1.*.*", KvKeys.snapshotProgressAll("gw1"));
        assertThrows(IllegalArgumentException.class, () -> KvKeys.snapshotPlanPage("gw1", TableId.of("s", "t"), "a.b", 0));
        assertThrows(IllegalArgumentException.class, () -> KvKeys.snapshotPlanPage("gw1", TableId.of("s", "t"), "a", -1));
        assertEquals("apply-stream.p1", KvKeys.applyStreamPosition("p1"));
        assertEquals("connection.=2E", KvKeys.connection("."));
        for (String key : new String[] {KvKeys.tableApplyCheckpoint("p1", TableId.of("ü.x", "*>")), KvKeys.syncedTable("a b"),
                KvKeys.connection("c/d"), KvKeys.snapshotPlanPage("g", TableId.of("ü.x", "*>"), "s-1", 0)}) {
            assertTrue(key.matches("[-/_=.A-Za-z0-9]+"), key);
            assertFalse(key.contains(".."), key);
        }
    }
}
