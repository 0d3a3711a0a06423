package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class SnapshotProgressTest {

    @Test
    void aPlanOfMoreChunksThanTheProgressHoldsFailsAtPlanningNamingTheTableAndTheSetting() {
        TableId table = TableId.of("public", "huge");
        TidelineException e = assertThrows(TidelineException.class, () -> SnapshotProgress.start("gw", table, "s1",
                Collections.nCopies(SnapshotProgress.MAX_CHUNKS + 1, ChunkRange.all()), 0));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
        assertTrue(e.getMessage().contains(table.toString()) && e.getMessage().contains(Integer.toString(SnapshotProgress.MAX_CHUNKS + 1)),
                e.getMessage());
        assertTrue(e.hint().contains("tideline.gateway.snapshot.chunk-bytes"), e.hint());
        assertEquals(SnapshotProgress.MAX_CHUNKS, SnapshotProgress.start("gw", table, "s1",
                Collections.nCopies(SnapshotProgress.MAX_CHUNKS, ChunkRange.all()), 0).done().size(), "the limit itself plans");
    }
}
