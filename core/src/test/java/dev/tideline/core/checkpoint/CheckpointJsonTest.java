package dev.tideline.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CheckpointJsonTest {

    private static final Instant AT = Instant.parse("2024-05-01T12:00:00.123456Z");

    private static final List<String> NASTY = List.of("plain", "with \"quotes\"", "back\\slash", "new\nline\ttab\r",
            "\u0000nul\u0001\u001f", "unicode é 漢字 🦀", "line\u2028sep\u2029", "}{\",:[]", "/slash/", "\uD83D\uDE00 emoji pair",
            "lone \uD800 surrogate", "\uDC00 low first", " ");

    @Test
    void gatewayCheckpointRoundTrips() {
        GatewayCheckpoint checkpoint = new GatewayCheckpoint("gw-1", Lsn.parse("16/B374D848"), AT);
        String json = checkpoint.toJson();
        assertEquals("{\"gateway_id\":\"gw-1\",\"confirmed_lsn\":\"16/B374D848\",\"updated_at\":\"2024-05-01T12:00:00.123456Z\"}", json);
        assertEquals(checkpoint, GatewayCheckpoint.fromJson(json));
        assertEquals("gateway.gw-1", checkpoint.kvKey());
        assertEquals(new GatewayCheckpoint("g", Lsn.INVALID, Instant.EPOCH),
                GatewayCheckpoint.fromJson(new GatewayCheckpoint("g", Lsn.INVALID, Instant.EPOCH).toJson()));
        assertEquals(new GatewayCheckpoint("g", Lsn.of(-1L), AT), GatewayCheckpoint.fromJson(new GatewayCheckpoint("g", Lsn.of(-1L), AT).toJson()));
    }

    @Test
    void tableApplyCheckpointRoundTripsWithNastyIdentifiers() {
        for (String schema : NASTY) {
            for (String table : NASTY) {
                if (schema.indexOf('\0') >= 0 || table.indexOf('\0') >= 0) {
                    continue; // TableId refuses NUL, as Postgres does
                }
                TableApplyCheckpoint checkpoint = new TableApplyCheckpoint("p1", TableId.of(schema, table), Lsn.parse("1/0"), Long.MAX_VALUE, AT);
                String json = checkpoint.toJson();
                assertTrue(json.chars().noneMatch(c -> c < 0x20), json);
                assertEquals(checkpoint, TableApplyCheckpoint.fromJson(json), json);
                if (!hasLoneSurrogate(schema) && !hasLoneSurrogate(table)) {
                    assertTrue(checkpoint.kvKey().matches("[-/_=.A-Za-z0-9]+"), checkpoint.kvKey());
                }
            }
        }
    }

    @Test
    void syncedTableCheckpointRoundTrips() {
        for (String name : NASTY) {
            SyncedTableCheckpoint checkpoint = new SyncedTableCheckpoint(name, 0, AT);
            assertEquals(checkpoint, SyncedTableCheckpoint.fromJson(checkpoint.toJson()));
        }
        assertEquals("synced.main=2Epublic=2Et", new SyncedTableCheckpoint("main.public.t", 3, AT).kvKey());
    }

    @Test
    void randomStringsRoundTrip() {
        Random random = new Random(11);
        for (int n = 0; n < 5000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + random.nextInt(30);
            for (int i = 0; i < len; i++) {
                sb.append((char) random.nextInt(0x10000)); // any UTF-16 unit, lone surrogates included
            }
            SyncedTableCheckpoint checkpoint = new SyncedTableCheckpoint(sb.toString(), random.nextLong() & Long.MAX_VALUE, AT);
            assertEquals(checkpoint, SyncedTableCheckpoint.fromJson(checkpoint.toJson()));
        }
    }

    @Test
    void readsJsonWrittenByOthers() {
        String json = " {\n  \"extra\": [\"ignored\"] , \"synced_table_name\" : \"a\\u00e9\\ud83e\\udd80\\/\" ,"
                + " \"delta_version\": 7, \"updated_at\": \"2024-05-01T12:00:00Z\", \"flag\": true, \"none\": null } ";
        // Nested values are refused even in unknown fields: the format is flat.
        assertThrows(TidelineException.class, () -> SyncedTableCheckpoint.fromJson(json));
        String flat = json.replace("[\"ignored\"]", "\"ignored\"");
        assertEquals(new SyncedTableCheckpoint("aé🦀/", 7, Instant.parse("2024-05-01T12:00:00Z")), SyncedTableCheckpoint.fromJson(flat));
    }

    @Test
    void escapesWhatJsonRequiresAndNothingElse() {
        String json = new SyncedTableCheckpoint("q\" b\\ n\n r\r t\t bs\b ff\f nul\u0000 us\u001f ls\u2028 ps\u2029 lone\uD800 é🦀 /", 0, AT)
                .toJson();
        assertTrue(json.startsWith("{\"synced_table_name\":\"q\\\" b\\\\ n\\n r\\r t\\t bs\\b ff\\f nul\\u0000 us\\u001f"
                + " ls\\u2028 ps\\u2029 lone\\ud800 é🦀 /\","), json);
    }

    @Test
    void malformedStringsAndStructureNameTheProblemAndOffset() {
        assertMessage("{\"a\":\"abc", "unterminated string");
        assertMessage("{\"a\":\"\\u12\"}", "malformed \\u escape");
        assertMessage("{\"a\":\"\\u12", "truncated \\u escape");
        assertMessage("{\"a\":{\"b\":1}}", "nested objects and arrays");
        assertMessage("{\"a\":1,}", "expected '\"'");
        assertMessage("{\"a\" 1}", "expected ':'");
        assertMessage("{\"a\":1 \"b\":2}", "expected ',' or '}'");
        assertMessage("{\"a\":-}", "malformed number");
        assertMessage("{\"a\":tru}", "expected a value");
    }

    @Test
    void malformedJsonNamesTheProblem() {
        assertMessage("{", "unexpected end of text");
        assertMessage("", "expected '{' at offset 0");
        assertMessage("{\"synced_table_name\":\"a\",\"delta_version\":1.5,\"updated_at\":\"x\"}", "only integers");
        assertMessage("{\"synced_table_name\":\"a\",\"delta_version\":\"1\",\"updated_at\":\"2024-05-01T12:00:00Z\"}",
                "field \"delta_version\" must be an integer but is a string");
        assertMessage("{\"synced_table_name\":\"a\",\"delta_version\":1}", "field \"updated_at\" must be a string but is missing");
        assertMessage("{\"synced_table_name\":\"a\",\"delta_version\":1,\"updated_at\":\"yesterday\"}", "not an ISO-8601");
        assertMessage("{\"synced_table_name\":\"a\",\"delta_version\":-1,\"updated_at\":\"2024-05-01T12:00:00Z\"}", "deltaVersion must be >= 0");
        assertMessage("{\"a\":1,\"a\":2}", "appears twice");
        assertMessage("{\"a\":\"x\ny\"}", "unescaped control character");
        assertMessage("{\"a\":\"\\q\"}", "unknown escape");
        assertMessage("{\"a\":1} x", "unexpected text after the object");
        assertMessage("{\"a\":99999999999999999999}", "64-bit range");
        TidelineException lsn = assertThrows(TidelineException.class,
                () -> GatewayCheckpoint.fromJson("{\"gateway_id\":\"g\",\"confirmed_lsn\":\"nope\",\"updated_at\":\"2024-05-01T12:00:00Z\"}"));
        assertTrue(lsn.getMessage().contains("confirmed_lsn"), lsn.getMessage());
        TidelineException id = assertThrows(TidelineException.class,
                () -> GatewayCheckpoint.fromJson("{\"gateway_id\":\"g.1\",\"confirmed_lsn\":\"0/0\",\"updated_at\":\"2024-05-01T12:00:00Z\"}"));
        assertTrue(id.getMessage().contains("gateway id 'g.1'"), id.getMessage());
    }

    private static void assertMessage(String json, String expected) {
        TidelineException e = assertThrows(TidelineException.class, () -> SyncedTableCheckpoint.fromJson(json), json);
        assertEquals(TidelineException.Kind.FATAL, e.kind());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("synced table checkpoint"), e.getMessage());
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))) {
                return true;
            }
            if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
                return true;
            }
        }
        return false;
    }
}
