package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StoredPlanTest {

    private static List<List<String>> singles(String... bounds) {
        return java.util.Arrays.stream(bounds).map(List::of).toList();
    }

    @Test
    void evenlySpacedIntegerBoundsAreStoredAsSteps() {
        List<List<String>> bounds = singles("128", "256", "384", "512");
        assertEquals(Optional.of(new StoredPlan.Steps(128, 128, 4)), StoredPlan.Steps.of(bounds));
        assertEquals(bounds, new StoredPlan.Steps(128, 128, 4).bounds());
        assertEquals(singles("-5"), StoredPlan.Steps.of(singles("-5")).orElseThrow().bounds(), "one bound is steps too");
        assertEquals(Optional.empty(), StoredPlan.Steps.of(singles(Long.toString(Long.MIN_VALUE), Long.toString(Long.MAX_VALUE))),
                "a step that overflows is not steps");
        List<List<String>> top = singles(Long.toString(Long.MAX_VALUE - 2), Long.toString(Long.MAX_VALUE - 1), Long.toString(Long.MAX_VALUE));
        assertEquals(top, StoredPlan.Steps.of(top).orElseThrow().bounds(), "up to the largest long");
    }

    @Test
    void anythingElseIsNotSteps() {
        assertEquals(Optional.empty(), StoredPlan.Steps.of(List.of()));
        assertEquals(Optional.empty(), StoredPlan.Steps.of(singles("1", "2", "4")), "uneven");
        assertEquals(Optional.empty(), StoredPlan.Steps.of(singles("1", "02", "3")), "not written as Long.toString writes it");
        assertEquals(Optional.empty(), StoredPlan.Steps.of(singles("+1", "2")));
        assertEquals(Optional.empty(), StoredPlan.Steps.of(singles("a", "b")));
        assertEquals(Optional.empty(), StoredPlan.Steps.of(List.of(List.of("1", "x"), List.of("2", "x"))), "two columns");
    }

    @Test
    void chunksAndBoundsRoundTrip() {
        List<ChunkRange> plan = List.of(new ChunkRange(null, List.of("a", "1")), new ChunkRange(List.of("a", "1"), List.of("b", "2")),
                new ChunkRange(List.of("b", "2"), null));
        assertEquals(List.of(List.of("a", "1"), List.of("b", "2")), StoredPlan.bounds(plan));
        assertEquals(plan, StoredPlan.chunks(StoredPlan.bounds(plan)));
        assertEquals(List.of(ChunkRange.all()), StoredPlan.chunks(StoredPlan.bounds(List.of(ChunkRange.all()))));
    }

    @Test
    void aPlanWithAGapOrAnOpenMiddleIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StoredPlan.bounds(List.of(new ChunkRange(null, List.of("1")),
                new ChunkRange(List.of("2"), null))));
        assertThrows(IllegalArgumentException.class, () -> StoredPlan.bounds(List.of(new ChunkRange(List.of("1"), null))));
        assertThrows(IllegalArgumentException.class, () -> StoredPlan.bounds(List.of()));
    }

    @Test
    void pagesHoldAtMostTheirBytesAndAtLeastOneBound() {
        List<List<String>> bounds = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            bounds.add(List.of("x".repeat(8))); // ["xxxxxxxx"] = 12 bytes, 13 with its comma
        }
        List<List<List<String>>> pages = StoredPlan.pages(bounds, 130, b -> 12);
        assertEquals(10, pages.size());
        pages.forEach(p -> assertEquals(10, p.size()));
        assertEquals(bounds, pages.stream().flatMap(List::stream).toList());
        assertEquals(3, StoredPlan.pages(bounds.subList(0, 3), 5, b -> 12).size(), "a bound larger than a page is a page");
        assertEquals(List.of(), StoredPlan.pages(List.of(), 130, b -> 12));
    }
}
