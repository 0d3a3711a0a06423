package dev.tideline.core.postgres;

import static dev.tideline.core.TidelineException.Kind.NEEDS_OPERATOR;
import static dev.tideline.core.TidelineException.Kind.RETRYABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqlStatesTest {

    @ParameterizedTest
    @ValueSource(strings = {"08000", "08001", "08003", "08006", "08P01", "40001", "40P01", "40003", "53100", "53300", "55P03", "55006",
            "57P01", "57P02", "57P03", "57014", "25P03", "72000"})
    void transientConditionsAreRetried(String state) {
        assertEquals(RETRYABLE, SqlStates.kind(state));
    }

    @ParameterizedTest
    @ValueSource(strings = {"28000", "28P01", "42501", "42P01", "42704", "42710", "42P04", "42601", "3D000", "55000", "57P04", "23505",
            "23502", "2BP01", "22003", "0A000", "XX000", "58P01"})
    void conditionsSomeoneMustFixNeedTheOperator(String state) {
        assertEquals(NEEDS_OPERATOR, SqlStates.kind(state));
    }

    @ParameterizedTest
    @ValueSource(strings = {"P0001", "HV000", "ZZ999", "F0000", "7", "99"})
    void anUnknownCodeNeedsTheOperator(String state) {
        assertEquals(SqlStates.UNKNOWN, SqlStates.rule(state));
        assertEquals(NEEDS_OPERATOR, SqlStates.kind(state));
    }

    @Test
    void noSqlStateMeansNoAnswerFromTheServerAndIsRetried() {
        assertEquals(RETRYABLE, SqlStates.kind(null));
        assertEquals(RETRYABLE, SqlStates.kind(""));
        assertEquals("", SqlStates.describe(null));
    }

    @Test
    void anExactCodeWinsOverItsClass() {
        // class 57 (operator intervention) is retried, but a dropped database will not come back by itself
        assertEquals(RETRYABLE, SqlStates.kind("57P01"));
        assertEquals(NEEDS_OPERATOR, SqlStates.kind("57P04"));
        // class 55 is not retried, but a slot still held by our own previous session frees itself
        assertEquals(NEEDS_OPERATOR, SqlStates.kind("55000"));
        assertEquals(RETRYABLE, SqlStates.kind("55006"));
    }

    @Test
    void codesAreMatchedCaseInsensitively() {
        assertEquals(SqlStates.rule("42P01"), SqlStates.rule("42p01"));
    }

    @Test
    void everyRuleTellsTheOperatorWhatItMeansAndWhatToDo() {
        for (String state : new String[] {null, "08006", "28P01", "42501", "42P01", "3D000", "23505", "ZZ999"}) {
            SqlStates.Rule rule = SqlStates.rule(state);
            assertFalse(rule.meaning().isBlank(), state);
            assertFalse(rule.remedy().isBlank(), state);
        }
        assertEquals(" (SQLSTATE 42501 insufficient privilege)", SqlStates.describe("42501"));
        assertTrue(SqlStates.rule("28P01").remedy().contains("password"));
    }
}
