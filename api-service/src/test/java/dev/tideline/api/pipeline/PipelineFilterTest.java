package dev.tideline.api.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.http.ApiException;
import dev.tideline.control.spec.PipelineSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

class PipelineFilterTest {

    private static final List<PipelineSpec> PIPELINES = List.of(pipeline("p1", "neon-gateway"), pipeline("p2", "neon-ingestion"),
            pipeline("p3", "orders_ingestion"), pipeline("p4", "it's mine"));

    @Test
    void nameLikeMatchesPercentAndUnderscoreWildcardsCaseSensitively() {
        assertEquals(List.of("p1", "p2"), ids("name LIKE 'neon-%'"));
        assertEquals(List.of("p2", "p3"), ids("name like '%_ingestion'"));
        assertEquals(List.of("p3"), ids("name LIKE 'orders.ingestion'".replace('.', '_')));
        assertEquals(List.of(), ids("name LIKE 'NEON%'"));
        assertEquals(List.of(), ids("name LIKE 'neon'"), "no wildcard: the whole name must match");
    }

    @Test
    void equalityAndInSelectByNameOrId() {
        assertEquals(List.of("p4"), ids("name = 'it''s mine'"));
        assertEquals(List.of("p2"), ids("id = 'p2'"));
        assertEquals(List.of("p1", "p3"), ids("id IN ('p1', 'p3', 'p9')"));
        assertEquals(List.of("p3"), ids("pipeline_id in ('p3')"));
    }

    @Test
    void aNotebookFilterSelectsNothingBecauseNoPipelineRunsANotebook() {
        assertEquals(List.of(), ids("notebook = '/Users/me/etl'"));
    }

    @Test
    void noFilterSelectsEverything() {
        assertEquals(4, ids(null).size());
        assertEquals(4, ids("  ").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"name LIKE 'a%' AND id = 'p1'", "creator_user_name = 'me'", "name LIKE neon", "id LIKE 'p%'",
            "name IN ('a')", "state = 'RUNNING' OR name = 'x'", "garbage", "id IN 'p1'"})
    void whatCannotBeEvaluatedIs400NamingTheExpressionNeverIgnored(String filter) {
        ApiException e = assertThrows(ApiException.class, () -> PipelineFilter.parse(filter));
        assertTrue(e.getMessage().startsWith("filter: cannot evaluate \"" + filter + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("name LIKE"), "says what is supported: " + e.getMessage());
    }

    private static List<String> ids(String filter) {
        return PIPELINES.stream().filter(PipelineFilter.parse(filter)).map(PipelineSpec::id).toList();
    }

    private static PipelineSpec pipeline(String id, String name) {
        return new PipelineSpec(id, name, false, null, null, 0);
    }
}
