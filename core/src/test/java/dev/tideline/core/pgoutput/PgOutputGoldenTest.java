package dev.tideline.core.pgoutput;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.ChangeEvent.Begin;
import dev.tideline.core.change.ChangeEvent.Commit;
import dev.tideline.core.change.ChangeEvent.Delete;
import dev.tideline.core.change.ChangeEvent.Insert;
import dev.tideline.core.change.ChangeEvent.LogicalMessage;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.ChangeEvent.Origin;
import dev.tideline.core.change.ChangeEvent.Relation;
import dev.tideline.core.change.ChangeEvent.StreamAbort;
import dev.tideline.core.change.ChangeEvent.StreamCommit;
import dev.tideline.core.change.ChangeEvent.StreamStart;
import dev.tideline.core.change.ChangeEvent.StreamStop;
import dev.tideline.core.change.ChangeEvent.Truncate;
import dev.tideline.core.change.ChangeEvent.TypeDefinition;
import dev.tideline.core.change.ChangeEvent.Update;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.value.PgTextValues;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Decodes pgoutput streams recorded from a real Postgres ({@code src/test/resources/pgoutput/*.bin},
 * each next to the {@code .sql} that produced it; re-recorded with
 * {@code dev.tideline.testing.pgoutput.PgOutputFixtureRecorder}) and checks the exact event
 * sequence and the exact Java values, per the type table of {@link Row}.
 *
 * <p>The text fixtures were recorded with the walsender's TimeZone set to Asia/Kolkata, so
 * timestamptz text carries +05:30 (and +05:21:10 local mean time for 1900).
 */
class PgOutputGoldenTest {

    private static final List<String> ALL_TYPES_COLUMNS = List.of("id",
            "c_int2", "c_int4", "c_int8", "c_numeric", "c_numeric_12_3", "c_float4", "c_float8", "c_bool",
            "c_text", "c_varchar", "c_bpchar", "c_char", "c_name", "c_bytea",
            "c_date", "c_time", "c_timetz", "c_timestamp", "c_timestamptz",
            "c_interval", "c_uuid", "c_json", "c_jsonb", "c_mood",
            "a_int4", "a_text", "a_numeric", "a_timestamptz", "a_uuid", "a_bool", "a_bytea", "a_jsonb",
            "a_int4_2d", "a_text_2d");

    private static final int MOOD = -1; // user type: its OID is checked against the Type message
    private static final List<Integer> ALL_TYPES_OIDS = List.of(PgType.INT4,
            PgType.INT2, PgType.INT4, PgType.INT8, PgType.NUMERIC, PgType.NUMERIC, PgType.FLOAT4, PgType.FLOAT8, PgType.BOOL,
            PgType.TEXT, PgType.VARCHAR, PgType.BPCHAR, PgType.CHAR, PgType.NAME, PgType.BYTEA,
            PgType.DATE, PgType.TIME, PgType.TIMETZ, PgType.TIMESTAMP, PgType.TIMESTAMPTZ,
            PgType.INTERVAL, PgType.UUID, PgType.JSON, PgType.JSONB, MOOD,
            PgType.INT4_ARRAY, PgType.TEXT_ARRAY, PgType.NUMERIC_ARRAY, PgType.TIMESTAMPTZ_ARRAY, PgType.UUID_ARRAY,
            PgType.BOOL_ARRAY, PgType.BYTEA_ARRAY, PgType.JSONB_ARRAY, PgType.INT4_ARRAY, PgType.TEXT_ARRAY);

    private static final UUID SAMPLE_UUID = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    private static final int ENUM_COLUMN = ALL_TYPES_COLUMNS.indexOf("c_mood");

    // ---------------------------------------------------------------- all types

    @Test
    void allTypesText() {
        checkAllTypes("all-types-text", false);
    }

    @Test
    void allTypesBinary() {
        checkAllTypes("all-types-binary", true);
    }

    /** Binary and text must give the same Java values; enums are the documented exception (text vs send bytes). */
    @Test
    void textAndBinaryGiveEqualRows() {
        List<Row> text = inserts(decode("all-types-text"));
        List<Row> binary = inserts(decode("all-types-binary"));
        assertEquals(text.size(), binary.size());
        for (int r = 0; r < text.size(); r++) {
            for (int c = 0; c < ALL_TYPES_COLUMNS.size(); c++) {
                if (c == ENUM_COLUMN) {
                    Object t = text.get(r).get(c);
                    Object b = binary.get(r).get(c);
                    assertValueEquals(t == null ? null : ((String) t).getBytes(StandardCharsets.UTF_8), b,
                            "row " + r + " enum column: binary carries the label's bytes");
                    continue;
                }
                assertValueEquals(text.get(r).get(c), binary.get(r).get(c),
                        "row " + r + " column " + ALL_TYPES_COLUMNS.get(c) + ": text vs binary");
            }
        }
    }

    private void checkAllTypes(String scenario, boolean binary) {
        List<ChangeEvent> events = decode(scenario);
        assertKinds(scenario, events, Begin.class, TypeDefinition.class, Relation.class,
                Insert.class, Insert.class, Insert.class, Insert.class, Insert.class, Commit.class);
        assertTransactions(events);

        TypeDefinition mood = (TypeDefinition) events.get(1);
        assertEquals(0, mood.xid());
        assertEquals("public", mood.namespace());
        assertEquals("mood", mood.name());
        assertTrue(mood.typeOid() >= 16384, "a user type's OID: " + mood.typeOid());

        RelationSchema schema = ((Relation) events.get(2)).schema();
        assertEquals(TableId.of("public", "all_types"), schema.table());
        assertEquals(ReplicaIdentity.DEFAULT, schema.replicaIdentity());
        assertEquals(ALL_TYPES_COLUMNS, schema.columns().stream().map(ColumnSchema::name).toList());
        for (int c = 0; c < ALL_TYPES_OIDS.size(); c++) {
            int expectedOid = ALL_TYPES_OIDS.get(c) == MOOD ? mood.typeOid() : ALL_TYPES_OIDS.get(c);
            ColumnSchema column = schema.column(c);
            assertEquals(expectedOid, column.typeOid(), "type of " + column.name());
            assertEquals(c == 0, column.key(), "key flag of " + column.name());
            int expectedTypmod = switch (column.name()) {
                case "c_numeric_12_3" -> ((12 << 16) | 3) + 4;
                case "c_varchar" -> 10 + 4;
                case "c_bpchar" -> 5 + 4;
                default -> -1;
            };
            assertEquals(expectedTypmod, column.typeModifier(), "typmod of " + column.name());
        }
        assertEquals(12, schema.column(5).numericPrecision());
        assertEquals(3, schema.column(5).numericScale());

        List<Object[]> expected = expectedAllTypesRows(binary);
        List<Insert> inserts = events.stream().filter(Insert.class::isInstance).map(Insert.class::cast).toList();
        for (int r = 0; r < expected.size(); r++) {
            Insert insert = inserts.get(r);
            assertEquals(0, insert.xid());
            assertEquals(schema, insert.relation());
            assertRow(scenario + " row " + (r + 1), ALL_TYPES_COLUMNS, expected.get(r), insert.newRow());
        }
    }

    private static List<Object[]> expectedAllTypesRows(boolean binary) {
        Object[] r1 = {1,
                (short) 32767, 2147483647, 9223372036854775807L,
                new BigDecimal("123456789012345678901234567890.123456789"), new BigDecimal("12.345"),
                3.14f, 2.718281828459045d,
                true,
                "héllo wörld ✓", "short", "ab   ", "x", "a_name",
                bytes(0xde, 0xad, 0xbe, 0xef, 0x00),
                LocalDate.of(2024, 2, 29), LocalTime.of(13, 45, 30, 123_456_000),
                OffsetTime.of(13, 45, 30, 500_000_000, ZoneOffset.ofHoursMinutes(5, 30)),
                LocalDateTime.of(2024, 2, 29, 23, 59, 59, 999_999_000), Instant.parse("2024-02-29T12:00:00.123456Z"),
                new PgInterval(14, 3, 14_706_789_000L), SAMPLE_UUID,
                "{\"b\": [1, 2], \"a\": \"x\"}", "{\"a\": \"x\", \"b\": [1, 2]}", mood("happy", binary),
                list(1, null, 3),
                list("a,b", "q\"uote", "NULL", null, "", "{braces}", "back\\slash", "with space", "plain"),
                list(new BigDecimal("1.50"), null, PgSpecial.NAN, PgSpecial.POSITIVE_INFINITY, PgSpecial.NEGATIVE_INFINITY,
                        new BigDecimal("-0.001")),
                list(Instant.parse("2024-01-01T00:00:00Z"), null, PgSpecial.POSITIVE_INFINITY, PgSpecial.NEGATIVE_INFINITY,
                        Instant.parse("1900-01-01T00:00:00Z")),
                list(SAMPLE_UUID, null),
                list(true, false, null),
                list(bytes(0x01, 0x02), null, bytes()),
                list("{\"k\": \"v\"}", null, "[1, \"a,b\"]"),
                list(list(1, 2), list(3, null)),
                list(list("a", "b c"), list("{x}", null))};

        Object[] r2 = new Object[ALL_TYPES_COLUMNS.size()];
        Object[] head = {2,
                (short) -32768, -2147483648, Long.MIN_VALUE,
                PgSpecial.NAN, new BigDecimal("-999999999.999"),
                Float.NaN, Double.NaN,
                false,
                "line1\nline2 'single' \"double\" \\ back", "", "abcde", "Z", "N",
                bytes(),
                LocalDate.of(-43, 3, 15), LocalTime.MIDNIGHT,
                OffsetTime.of(23, 59, 59, 999_999_000, ZoneOffset.ofHoursMinutes(-9, -30)),
                LocalDateTime.of(-43, 3, 15, 12, 0), PgSpecial.POSITIVE_INFINITY,
                new PgInterval(-14, 3, -14_706_789_000L), new UUID(0, 0),
                "[]", "\"just a string\"", mood("sad", binary),
                List.of(), list((Object) null)};
        System.arraycopy(head, 0, r2, 0, head.length);

        Object[] r3 = new Object[ALL_TYPES_COLUMNS.size()];
        r3[0] = 3;

        Object[] r4 = new Object[ALL_TYPES_COLUMNS.size()];
        r4[0] = 4;
        r4[4] = PgSpecial.POSITIVE_INFINITY;
        r4[5] = new BigDecimal("0.000");
        r4[6] = Float.POSITIVE_INFINITY;
        r4[7] = Double.POSITIVE_INFINITY;
        r4[15] = PgSpecial.POSITIVE_INFINITY;
        r4[18] = PgSpecial.POSITIVE_INFINITY;
        r4[19] = PgSpecial.NEGATIVE_INFINITY;

        Object[] r5 = new Object[ALL_TYPES_COLUMNS.size()];
        r5[0] = 5;
        r5[4] = PgSpecial.NEGATIVE_INFINITY;
        r5[5] = PgSpecial.NAN;
        r5[6] = Float.NEGATIVE_INFINITY;
        r5[7] = Double.NEGATIVE_INFINITY;
        r5[15] = PgSpecial.NEGATIVE_INFINITY;
        r5[18] = PgSpecial.NEGATIVE_INFINITY;
        r5[19] = Instant.parse("1900-01-01T00:00:00Z");
        return List.of(r1, r2, r3, r4, r5);
    }

    /** Enums have no Java type: their text output, or their binary send form (the label's bytes). */
    private static Object mood(String label, boolean binary) {
        return binary ? label.getBytes(StandardCharsets.UTF_8) : label;
    }

    /** The text path on its own, for the values whose text form is the tricky part. */
    @Test
    void textValuesOfTrickyForms() {
        assertValueEquals(LocalDate.of(-43, 3, 15), PgTextValues.decode(PgType.DATE, -1, "0044-03-15 BC"), "BC date");
        assertValueEquals(Instant.parse("1900-01-01T00:00:00Z"),
                PgTextValues.decode(PgType.TIMESTAMPTZ, -1, "1900-01-01 05:21:10+05:21:10"), "offset with seconds");
        assertValueEquals(list(list(1, 2), list(3, null)), PgTextValues.decode(PgType.INT4_ARRAY, -1, "{{1,2},{3,NULL}}"), "2-D array");
        assertValueEquals(list("NULL", null, ""), PgTextValues.decode(PgType.TEXT_ARRAY, -1, "{\"NULL\",NULL,\"\"}"), "NULL string vs NULL");
    }

    // ---------------------------------------------------------------- updates and deletes

    @Test
    void updateDeleteDefaultIdentity() {
        List<ChangeEvent> events = decode("update-delete-default-identity");
        assertKinds("update-delete-default-identity", events, Begin.class, Relation.class, Insert.class, Insert.class, Commit.class,
                Begin.class, Update.class, Commit.class, Begin.class, Update.class, Commit.class, Begin.class, Delete.class, Commit.class);
        assertTransactions(events);
        RelationSchema accounts = ((Relation) events.get(1)).schema();
        assertEquals(ReplicaIdentity.DEFAULT, accounts.replicaIdentity());
        assertEquals(List.of(new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("owner", PgType.TEXT, -1, false),
                new ColumnSchema("balance", PgType.NUMERIC, ((12 << 16) | 2) + 4, false)), accounts.columns());
        List<String> names = List.of("id", "owner", "balance");

        assertRow("insert 1", names, new Object[] {1L, "ann", new BigDecimal("10.00")}, ((Insert) events.get(2)).newRow());
        assertRow("insert 2", names, new Object[] {2L, "bob", new BigDecimal("20.50")}, ((Insert) events.get(3)).newRow());

        Update nonKey = (Update) events.get(6);
        assertEquals(OldRowKind.NONE, nonKey.oldRowKind());
        assertNull(nonKey.oldRow());
        assertRow("update of a non-key column", names, new Object[] {1L, "ann", new BigDecimal("11.25")}, nonKey.newRow());

        Update key = (Update) events.get(9);
        assertEquals(OldRowKind.KEY, key.oldRowKind());
        assertRow("old key of a key update", names, new Object[] {2L, null, null}, key.oldRow());
        assertRow("new row of a key update", names, new Object[] {20L, "bob", new BigDecimal("20.50")}, key.newRow());

        Delete delete = (Delete) events.get(12);
        assertEquals(OldRowKind.KEY, delete.oldRowKind());
        assertRow("delete", names, new Object[] {1L, null, null}, delete.oldRow());
        assertEquals(accounts, delete.relation());
    }

    @Test
    void updateDeleteFullIdentity() {
        List<ChangeEvent> events = decode("update-delete-full-identity");
        assertKinds("update-delete-full-identity", events, Begin.class, Relation.class, Insert.class, Insert.class, Commit.class,
                Begin.class, Update.class, Commit.class, Begin.class, Update.class, Commit.class, Begin.class, Delete.class, Commit.class);
        assertTransactions(events);
        RelationSchema accounts = ((Relation) events.get(1)).schema();
        assertEquals(ReplicaIdentity.FULL, accounts.replicaIdentity());
        List<String> names = List.of("id", "owner", "balance");

        assertRow("insert 2", names, new Object[] {2L, "bob", null}, ((Insert) events.get(3)).newRow());

        Update first = (Update) events.get(6);
        assertEquals(OldRowKind.FULL, first.oldRowKind());
        assertRow("old row", names, new Object[] {1L, "ann", new BigDecimal("10.00")}, first.oldRow());
        assertRow("new row", names, new Object[] {1L, "ann", new BigDecimal("11.25")}, first.newRow());

        Update key = (Update) events.get(9);
        assertEquals(OldRowKind.FULL, key.oldRowKind());
        assertRow("old row of a key update", names, new Object[] {2L, "bob", null}, key.oldRow());
        assertRow("new row of a key update", names, new Object[] {20L, "bob", new BigDecimal("1.00")}, key.newRow());

        Delete delete = (Delete) events.get(12);
        assertEquals(OldRowKind.FULL, delete.oldRowKind());
        assertRow("delete", names, new Object[] {1L, "ann", new BigDecimal("11.25")}, delete.oldRow());
    }

    @Test
    void unchangedToast() throws NoSuchAlgorithmException {
        List<ChangeEvent> events = decode("unchanged-toast");
        assertKinds("unchanged-toast", events, Begin.class, Relation.class, Insert.class, Commit.class,
                Begin.class, Update.class, Commit.class, Begin.class, Update.class, Commit.class, Begin.class, Delete.class, Commit.class);
        assertTransactions(events);
        List<String> names = List.of("id", "body", "note");
        // the body the script built: the md5 hex digests of "1".."320", concatenated
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        String body = IntStream.rangeClosed(1, 320)
                .mapToObj(i -> HexFormat.of().formatHex(md5.digest(Integer.toString(i).getBytes(StandardCharsets.US_ASCII))))
                .collect(Collectors.joining());
        assertEquals(10_240, body.length());

        assertRow("insert", names, new Object[] {1, body, "v1"}, ((Insert) events.get(2)).newRow());

        Update untouched = (Update) events.get(5);
        assertEquals(OldRowKind.NONE, untouched.oldRowKind());
        assertRow("update leaving the TOASTed body alone", names, new Object[] {1, UnchangedToast.VALUE, "v2"}, untouched.newRow());
        assertTrue(untouched.newRow().isUnchangedToast(1));
        assertFalse(untouched.newRow().isUnchangedToast(2));

        Update changed = (Update) events.get(8);
        assertRow("update of the body", names, new Object[] {1, "small now", "v3"}, changed.newRow());

        assertRow("delete", names, new Object[] {1, null, null}, ((Delete) events.get(11)).oldRow());
    }

    // ---------------------------------------------------------------- truncate, messages, origin

    @Test
    void truncate() {
        List<ChangeEvent> events = decode("truncate");
        assertKinds("truncate", events,
                Begin.class, Relation.class, Insert.class, Insert.class, Commit.class,
                Begin.class, Relation.class, Insert.class, Insert.class, Commit.class,
                Begin.class, Relation.class, Relation.class, Truncate.class, Commit.class,
                Begin.class, Relation.class, Insert.class, Commit.class,
                Begin.class, Relation.class, Truncate.class, Commit.class,
                Begin.class, Relation.class, Relation.class, Truncate.class, Commit.class);
        assertTransactions(events);
        TableId parent = TableId.of("public", "parent");
        TableId child = TableId.of("public", "child");

        Truncate cascade = (Truncate) events.get(13);
        assertEquals(Set.of(parent, child), tables(cascade));
        assertTrue(cascade.cascade());
        assertTrue(cascade.restartIdentity());
        assertEquals(0, cascade.xid());

        // RESTART IDENTITY: the serial starts over
        assertRow("insert after restart identity", List.of("id", "name"), new Object[] {1, "p3"},
                ((Insert) events.get(17)).newRow());

        Truncate plain = (Truncate) events.get(21);
        assertEquals(List.of(child), plain.relations().stream().map(RelationSchema::table).toList());
        assertFalse(plain.cascade());
        assertFalse(plain.restartIdentity());

        Truncate both = (Truncate) events.get(26);
        assertEquals(Set.of(parent, child), tables(both));
        assertFalse(both.cascade());
        assertFalse(both.restartIdentity());
    }

    private static Set<TableId> tables(Truncate truncate) {
        assertEquals(2, truncate.relations().size());
        return truncate.relations().stream().map(RelationSchema::table).collect(Collectors.toSet());
    }

    @Test
    void logicalMessages() {
        List<ChangeEvent> events = decode("logical-messages");
        assertKinds("logical-messages", events, Begin.class, Relation.class, Insert.class, LogicalMessage.class, Commit.class,
                LogicalMessage.class, LogicalMessage.class, Begin.class, LogicalMessage.class, Commit.class);
        assertTransactions(events);

        LogicalMessage inTransaction = (LogicalMessage) events.get(3);
        assertTrue(inTransaction.transactional());
        assertEquals("tideline.test", inTransaction.prefix());
        assertArrayEquals("transactional payload".getBytes(StandardCharsets.UTF_8), inTransaction.content());
        assertTrue(inTransaction.lsn().isValid());
        // as recorded from Postgres 15: a transactional message is stamped with its transaction's commit LSN
        assertFalse(inTransaction.lsn().isAfter(((Commit) events.get(4)).commitLsn()));

        LogicalMessage outside = (LogicalMessage) events.get(5);
        assertFalse(outside.transactional());
        assertEquals(0, outside.xid());
        assertEquals("tideline.test", outside.prefix());
        assertArrayEquals(bytes(0x00, 0xff, 0x10), outside.content());

        // non-transactional: delivered although its transaction rolled back
        LogicalMessage survivor = (LogicalMessage) events.get(6);
        assertFalse(survivor.transactional());
        assertEquals("tideline.audit", survivor.prefix());
        assertArrayEquals("survives rollback".getBytes(StandardCharsets.UTF_8), survivor.content());
        assertTrue(survivor.lsn().isAfter(outside.lsn()), survivor.lsn() + " after " + outside.lsn());

        LogicalMessage alone = (LogicalMessage) events.get(8);
        assertTrue(alone.transactional());
        assertArrayEquals("alone in its transaction".getBytes(StandardCharsets.UTF_8), alone.content());
        // the rolled-back transactional message ('rolled back') never appears
        assertFalse(events.stream().filter(LogicalMessage.class::isInstance).map(LogicalMessage.class::cast)
                .anyMatch(m -> new String(m.content(), StandardCharsets.UTF_8).equals("rolled back")));
    }

    @Test
    void origin() {
        List<ChangeEvent> events = decode("origin");
        assertKinds("origin", events, Begin.class, Origin.class, Relation.class, Insert.class, Commit.class,
                Begin.class, Insert.class, Commit.class);
        assertTransactions(events);
        Origin origin = (Origin) events.get(1);
        assertEquals(Lsn.parse("0/ABCDEF"), origin.originCommitLsn());
        assertEquals("upstream-node", origin.name());
        List<String> names = List.of("id", "label");
        assertRow("replicated insert", names, new Object[] {1, "from upstream"}, ((Insert) events.get(3)).newRow());
        assertRow("local insert", names, new Object[] {2, "local"}, ((Insert) events.get(6)).newRow());
    }

    // ---------------------------------------------------------------- schema changes

    @Test
    void typeAndRelationChanges() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        List<ChangeEvent> events = decode("type-and-relation-change", decoder);
        assertKinds("type-and-relation-change", events,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class, Commit.class,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class, Commit.class,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class, Commit.class,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class, Commit.class,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class,
                TypeDefinition.class, Relation.class, Insert.class, Commit.class,
                Begin.class, TypeDefinition.class, Relation.class, Insert.class, Commit.class);
        assertTransactions(events);

        TypeDefinition color = (TypeDefinition) events.get(1);
        assertEquals("public", color.namespace());
        assertEquals("color", color.name());
        int colorOid = color.typeOid();
        for (ChangeEvent e : events) {
            if (e instanceof TypeDefinition t) {
                assertEquals(colorOid, t.typeOid(), "the enum keeps its OID when a value is added");
                assertEquals("color", t.name());
            }
        }

        int numeric62 = ((6 << 16) | 2) + 4;
        RelationSchema v1 = ((Relation) events.get(2)).schema();
        assertEquals(TableId.of("public", "widgets"), v1.table());
        assertEquals(List.of(new ColumnSchema("id", PgType.INT4, -1, true), new ColumnSchema("name", PgType.TEXT, -1, false),
                new ColumnSchema("color", colorOid, -1, false)), v1.columns());
        assertRow("v1", List.of("id", "name", "color"), new Object[] {1, "first", "red"}, ((Insert) events.get(3)).newRow());

        RelationSchema v2 = ((Relation) events.get(7)).schema();
        assertEquals(v1.relationOid(), v2.relationOid());
        assertEquals(List.of(new ColumnSchema("id", PgType.INT4, -1, true), new ColumnSchema("name", PgType.TEXT, -1, false),
                new ColumnSchema("color", colorOid, -1, false), new ColumnSchema("weight", PgType.NUMERIC, numeric62, false)),
                v2.columns());
        assertRow("added column", List.of("id", "name", "color", "weight"), new Object[] {2, "second", "green", new BigDecimal("1.50")},
                ((Insert) events.get(8)).newRow());
        assertEquals(v2, ((Insert) events.get(8)).relation());

        RelationSchema v3 = ((Relation) events.get(12)).schema();
        assertEquals(List.of("id", "color", "weight"), v3.columns().stream().map(ColumnSchema::name).toList());
        assertRow("dropped column", List.of("id", "color", "weight"), new Object[] {3, "red", new BigDecimal("2.25")},
                ((Insert) events.get(13)).newRow());

        RelationSchema v4 = ((Relation) events.get(17)).schema();
        assertEquals(TableId.of("public", "gadgets"), v4.table());
        assertEquals(v1.relationOid(), v4.relationOid(), "the relation OID is stable across renames");
        assertEquals(List.of("id", "color", "mass"), v4.columns().stream().map(ColumnSchema::name).toList());
        assertRow("renamed", List.of("id", "color", "mass"), new Object[] {4, "green", new BigDecimal("3.00")},
                ((Insert) events.get(18)).newRow());

        // ALTER TABLE inside a transaction: a new Relation message between two inserts of the same transaction
        RelationSchema v5 = ((Relation) events.get(22)).schema();
        assertEquals(List.of("id", "color", "mass"), v5.columns().stream().map(ColumnSchema::name).toList());
        assertRow("before the in-transaction ALTER", List.of("id", "color", "mass"), new Object[] {5, "red", new BigDecimal("4.00")},
                ((Insert) events.get(23)).newRow());
        RelationSchema v6 = ((Relation) events.get(25)).schema();
        assertEquals(List.of("id", "color", "mass", "tag"), v6.columns().stream().map(ColumnSchema::name).toList());
        assertRow("after the in-transaction ALTER", List.of("id", "color", "mass", "tag"),
                new Object[] {6, "green", new BigDecimal("5.00"), "tagged"}, ((Insert) events.get(26)).newRow());

        assertRow("new enum value", List.of("id", "color", "mass", "tag"), new Object[] {7, "blue", new BigDecimal("6.00"), "x"},
                ((Insert) events.get(31)).newRow());

        assertEquals(v6.columns(), decoder.relation(v1.relationOid()).orElseThrow().columns(), "the cache holds the latest shape");
        assertEquals(TableId.of("public", "gadgets"), decoder.relation(v1.relationOid()).orElseThrow().table());
        assertTrue(decoder.relation(v1.relationOid() + 12345).isEmpty());
    }

    // ---------------------------------------------------------------- protocol 2 streaming

    @Test
    void streamedCommitWithSubtransactionRollback() {
        List<ChangeEvent> events = decode("proto2-streamed-commit");
        assertFalse(events.stream().anyMatch(e -> e instanceof Begin || e instanceof Commit), "a streamed transaction has no Begin/Commit");
        StreamStart first = assertInstanceOf(StreamStart.class, events.get(0));
        assertTrue(first.firstSegment());
        long xid = first.xid();
        assertTrue(xid > 0);
        assertStreamSegments(events, xid);

        List<StreamAbort> aborts = events.stream().filter(StreamAbort.class::isInstance).map(StreamAbort.class::cast).toList();
        assertEquals(1, aborts.size(), "one subtransaction rolled back");
        long subXid = aborts.get(0).subXid();
        assertEquals(xid, aborts.get(0).xid());
        assertNotEquals(xid, subXid);
        assertTrue(events.stream().anyMatch(e -> e instanceof Insert i && i.xid() == subXid),
                "the subtransaction's rows were streamed before its rollback");

        StreamCommit commit = assertInstanceOf(StreamCommit.class, events.get(events.size() - 1));
        assertEquals(xid, commit.xid());
        assertTrue(commit.endLsn().isAfter(commit.commitLsn()));
        assertTrue(commit.commitTime().isAfter(Instant.parse("2020-01-01T00:00:00Z")));

        // Apply the protocol as a consumer must: buffer per (sub)transaction, drop what is aborted.
        Map<Integer, String> committed = committedRows(events);
        Map<Integer, String> expected = new LinkedHashMap<>();
        IntStream.rangeClosed(1, 1000).forEach(g -> expected.put(g, "row " + g));
        IntStream.rangeClosed(2001, 2010).forEach(g -> expected.put(g, "after rollback " + g));
        assertEquals(expected, committed);
    }

    @Test
    void streamedAbort() {
        List<ChangeEvent> events = decode("proto2-streamed-abort");
        StreamStart first = assertInstanceOf(StreamStart.class, events.get(0));
        assertTrue(first.firstSegment());
        long xid = first.xid();
        int abortAt = indexOfFirst(events, StreamAbort.class);
        assertTrue(abortAt > 0);
        assertStreamSegments(events.subList(0, abortAt + 1), xid);
        assertTrue(events.subList(0, abortAt).stream().filter(Insert.class::isInstance).count() > 100,
                "the doomed transaction was streamed before its rollback");
        StreamAbort abort = (StreamAbort) events.get(abortAt);
        assertEquals(xid, abort.xid());
        assertEquals(xid, abort.subXid(), "the whole transaction aborted");
        assertEquals(Map.of(), committedRows(events.subList(0, abortAt + 1)));

        List<ChangeEvent> after = events.subList(abortAt + 1, events.size());
        assertKinds("proto2-streamed-abort after the abort", after, Begin.class, Relation.class, Insert.class, Commit.class);
        assertTransactions(after);
        Insert survivor = (Insert) after.get(2);
        assertEquals(0, survivor.xid());
        assertRow("survivor", List.of("id", "note"), new Object[] {1, "survivor"}, survivor.newRow());
    }

    /** Stream Start/Stop alternate; everything in between belongs to {@code xid} or its subtransactions. */
    private static void assertStreamSegments(List<ChangeEvent> events, long xid) {
        boolean inSegment = false;
        int segments = 0;
        for (ChangeEvent e : events) {
            if (e instanceof StreamStart s) {
                assertFalse(inSegment, "Stream Start inside a segment");
                assertEquals(xid, s.xid());
                assertEquals(segments == 0, s.firstSegment());
                inSegment = true;
                segments++;
            } else if (e instanceof StreamStop) {
                assertTrue(inSegment, "Stream Stop outside a segment");
                inSegment = false;
            } else if (e instanceof Insert i) {
                assertTrue(inSegment, "a streamed insert outside a segment");
                assertTrue(i.xid() > 0, "a streamed change carries its transaction id");
            } else if (e instanceof Relation r) {
                assertTrue(inSegment);
                assertTrue(r.xid() > 0, "a streamed Relation carries its transaction id");
            } else if (e instanceof StreamAbort || e instanceof StreamCommit) {
                assertFalse(inSegment, "abort/commit between segments");
            } else {
                fail("unexpected event in a streamed transaction: " + e.getClass().getSimpleName());
            }
        }
        assertTrue(segments >= 2, "64kB of logical_decoding_work_mem streams this transaction in several segments: " + segments);
    }

    /** Replays streamed inserts the way a consumer must: rows of an aborted (sub)transaction are dropped. */
    private static Map<Integer, String> committedRows(List<ChangeEvent> events) {
        Map<Long, List<Row>> pending = new LinkedHashMap<>();
        Map<Integer, String> committed = new LinkedHashMap<>();
        for (ChangeEvent e : events) {
            if (e instanceof Insert i) {
                pending.computeIfAbsent(i.xid(), k -> new ArrayList<>()).add(i.newRow());
            } else if (e instanceof StreamAbort a) {
                if (a.subXid() == a.xid()) {
                    pending.clear();
                } else {
                    pending.remove(a.subXid());
                }
            } else if (e instanceof StreamCommit) {
                for (List<Row> rows : pending.values()) {
                    for (Row row : rows) {
                        String previous = committed.put((Integer) row.get(0), (String) row.get(1));
                        assertNull(previous, "row " + row.get(0) + " streamed twice");
                    }
                }
                pending.clear();
            }
        }
        // sorted, so a failure diff is readable
        Map<Integer, String> sorted = new LinkedHashMap<>();
        new TreeSet<>(committed.keySet()).forEach(k -> sorted.put(k, committed.get(k)));
        return sorted;
    }

    // ---------------------------------------------------------------- fixture reading and assertions

    private static List<ChangeEvent> decode(String scenario) {
        return decode(scenario, new PgOutputDecoder());
    }

    /** Decodes each message of {@code pgoutput/<scenario>.bin}. */
    private static List<ChangeEvent> decode(String scenario, PgOutputDecoder decoder) {
        List<ChangeEvent> events = new ArrayList<>();
        for (byte[] message : PgOutputFixtures.messages(scenario)) {
            ByteBuffer buffer = ByteBuffer.wrap(message);
            try {
                events.add(decoder.decode(buffer));
            } catch (RuntimeException e) {
                throw new AssertionError(scenario + ": message #" + events.size() + " ('" + (char) message[0]
                        + "', " + message.length + " bytes) failed to decode: " + e.getMessage(), e);
            }
            assertFalse(buffer.hasRemaining(), scenario + ": the decoder consumed the whole message #" + events.size());
        }
        return events;
    }

    @SafeVarargs
    private static void assertKinds(String scenario, List<ChangeEvent> events, Class<? extends ChangeEvent>... kinds) {
        assertEquals(Arrays.stream(kinds).map(Class::getSimpleName).toList(),
                events.stream().map(e -> e.getClass().getSimpleName()).toList(), scenario + ": event sequence");
    }

    /** Begin/Commit pair up: same commit LSN and time, end LSN after it, LSNs increasing across transactions. */
    private static void assertTransactions(List<ChangeEvent> events) {
        Begin open = null;
        Lsn lastEnd = Lsn.INVALID;
        for (ChangeEvent e : events) {
            if (e instanceof Begin b) {
                assertNull(open, "nested Begin");
                assertTrue(b.xid() > 0, "Begin carries the xid");
                assertTrue(b.finalLsn().isAfter(lastEnd), "transactions arrive in commit order");
                assertTrue(b.commitTime().isAfter(Instant.parse("2020-01-01T00:00:00Z")), "commit time " + b.commitTime());
                open = b;
            } else if (e instanceof Commit c) {
                assertTrue(open != null, "Commit without Begin");
                assertEquals(open.finalLsn(), c.commitLsn(), "Commit LSN equals the Begin's final LSN");
                assertEquals(open.commitTime(), c.commitTime());
                assertTrue(c.endLsn().isAfter(c.commitLsn()), "end LSN is past the commit record");
                assertEquals(0, c.flags());
                lastEnd = c.endLsn();
                open = null;
            } else if (open != null && e instanceof Insert i) {
                assertEquals(0, i.xid(), "no xid on changes outside a stream");
            }
        }
        assertNull(open, "a transaction was left open");
    }

    private static List<Row> inserts(List<ChangeEvent> events) {
        return events.stream().filter(Insert.class::isInstance).map(e -> ((Insert) e).newRow()).toList();
    }

    private static void assertRow(String what, List<String> columns, Object[] expected, Row actual) {
        assertEquals(expected.length, actual.size(), what + ": column count");
        for (int c = 0; c < expected.length; c++) {
            assertValueEquals(expected[c], actual.get(c), what + ", column " + columns.get(c));
        }
    }

    /** Equality that also compares byte arrays by content, lists element-wise, and types exactly. */
    private static void assertValueEquals(Object expected, Object actual, String what) {
        if (expected == null || actual == null) {
            assertEquals(expected, actual, what);
            return;
        }
        if (expected instanceof List<?> e) {
            List<?> a = assertInstanceOf(List.class, actual, what + ": expected a List, got " + actual.getClass().getName());
            assertEquals(e.size(), a.size(), what + ": list size " + describe(actual));
            for (int i = 0; i < e.size(); i++) {
                assertValueEquals(e.get(i), a.get(i), what + "[" + i + "]");
            }
            return;
        }
        assertEquals(expected.getClass(), actual.getClass(), what + ": Java type (value " + describe(actual) + ")");
        if (expected instanceof byte[] e) {
            assertArrayEquals(e, (byte[]) actual, what);
        } else {
            // BigDecimal.equals compares the scale too: 1.50 must stay 1.50
            assertEquals(expected, actual, what);
        }
    }

    private static String describe(Object value) {
        return value instanceof byte[] b ? HexFormat.of().formatHex(b) : String.valueOf(value);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    /** {@code List.of} refuses nulls; arrays with NULL elements need them. */
    private static List<Object> list(Object... values) {
        return Arrays.asList(values);
    }

    private static int indexOfFirst(List<ChangeEvent> events, Class<?> kind) {
        for (int i = 0; i < events.size(); i++) {
            if (kind.isInstance(events.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
