package dev.tideline.core.pgoutput;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PgOutputDecoderTest {

    static final int ORDERS = 16385;
    static final int NUMERIC_10_2 = (10 << 16 | 2) + 4;
    static final RelationSchema ORDERS_SCHEMA = new RelationSchema(ORDERS, TableId.of("public", "orders"), ReplicaIdentity.DEFAULT,
            List.of(new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("note", PgType.TEXT, -1, false),
                    new ColumnSchema("price", PgType.NUMERIC, NUMERIC_10_2, false), new ColumnSchema("tags", PgType.TEXT_ARRAY, -1, false)));
    static final long COMMIT_MICROS = 757_382_400_123_456L; // 2024-01-01T00:00:00.123456Z
    static final Instant COMMIT_TIME = Instant.parse("2024-01-01T00:00:00.123456Z");
    static final long XID = 777;

    static PgBytes relation(boolean streamed) {
        PgBytes b = PgBytes.message('R');
        if (streamed) {
            b.i32((int) XID);
        }
        return b.i32(ORDERS).cstring("public").cstring("orders").i8('d').i16(4)
                .i8(1).cstring("id").i32(PgType.INT8).i32(-1)
                .i8(0).cstring("note").i32(PgType.TEXT).i32(-1)
                .i8(0).cstring("price").i32(PgType.NUMERIC).i32(NUMERIC_10_2)
                .i8(0).cstring("tags").i32(PgType.TEXT_ARRAY).i32(-1);
    }

    /** A data message: type byte, the xid when streamed, the relation OID. */
    static PgBytes data(char type, boolean streamed) {
        PgBytes b = PgBytes.message(type);
        return (streamed ? b.i32((int) XID) : b).i32(ORDERS);
    }

    static Row row(Object... values) {
        return Row.of(values);
    }

    static Stream<Arguments> protocol1Messages() {
        Row full = row(42L, "hi", new BigDecimal("9.50"), List.of("a b", "c"));
        Row key = row(42L, null, null, null);
        return Stream.of(
                Arguments.of("begin", PgBytes.message('B').i64(0x16_B374D848L).i64(COMMIT_MICROS).i32(-5),
                        new ChangeEvent.Begin(Lsn.of(0x16_B374D848L), COMMIT_TIME, 0xFFFF_FFFBL)),
                Arguments.of("origin", PgBytes.message('O').i64(99).cstring("node-a"), new ChangeEvent.Origin(Lsn.of(99), "node-a")),
                Arguments.of("relation", relation(false), new ChangeEvent.Relation(0, ORDERS_SCHEMA)),
                Arguments.of("type", PgBytes.message('Y').i32(50000).cstring("public").cstring("mood"),
                        new ChangeEvent.TypeDefinition(0, 50000, "public", "mood")),
                Arguments.of("type in pg_catalog", PgBytes.message('Y').i32(50001).cstring("").cstring("x"),
                        new ChangeEvent.TypeDefinition(0, 50001, "pg_catalog", "x")),
                Arguments.of("insert", data('I', false).i8('N').tuple("42", "hi", "9.50", "{\"a b\",c}"),
                        new ChangeEvent.Insert(0, ORDERS_SCHEMA, full)),
                Arguments.of("insert with null, toast and binary", data('I', false).i8('N')
                                .tuple(PgBytes.empty().i64(42).bytes(), null, PgBytes.TOAST, "{}"),
                        new ChangeEvent.Insert(0, ORDERS_SCHEMA, row(42L, null, UnchangedToast.VALUE, List.of()))),
                Arguments.of("update, new row only", data('U', false).i8('N').tuple("42", PgBytes.TOAST, "9.50", null),
                        new ChangeEvent.Update(0, ORDERS_SCHEMA, OldRowKind.NONE, null, row(42L, UnchangedToast.VALUE, new BigDecimal("9.50"), null))),
                Arguments.of("update with old key", data('U', false).i8('K').tuple("41", null, null, null).i8('N').tuple("42", "hi", "9.50", "{\"a b\",c}"),
                        new ChangeEvent.Update(0, ORDERS_SCHEMA, OldRowKind.KEY, row(41L, null, null, null), full)),
                Arguments.of("update with old row", data('U', false).i8('O').tuple("42", "hi", "9.50", "{\"a b\",c}").i8('N').tuple("42", "hi", "9.50", "{\"a b\",c}"),
                        new ChangeEvent.Update(0, ORDERS_SCHEMA, OldRowKind.FULL, full, full)),
                Arguments.of("delete by key", data('D', false).i8('K').tuple("42", null, null, null),
                        new ChangeEvent.Delete(0, ORDERS_SCHEMA, OldRowKind.KEY, key)),
                Arguments.of("delete full row", data('D', false).i8('O').tuple("42", "hi", "9.50", "{\"a b\",c}"),
                        new ChangeEvent.Delete(0, ORDERS_SCHEMA, OldRowKind.FULL, full)),
                Arguments.of("truncate", PgBytes.message('T').i32(1).i8(0).i32(ORDERS),
                        new ChangeEvent.Truncate(0, List.of(ORDERS_SCHEMA), false, false)),
                Arguments.of("truncate cascade restart identity", PgBytes.message('T').i32(2).i8(3).i32(ORDERS).i32(ORDERS),
                        new ChangeEvent.Truncate(0, List.of(ORDERS_SCHEMA, ORDERS_SCHEMA), true, true)),
                Arguments.of("truncate restart identity", PgBytes.message('T').i32(1).i8(2).i32(ORDERS),
                        new ChangeEvent.Truncate(0, List.of(ORDERS_SCHEMA), false, true)),
                Arguments.of("transactional message", PgBytes.message('M').i8(1).i64(123).cstring("audit").counted(new byte[] {1, 2, 3}),
                        new ChangeEvent.LogicalMessage(0, true, Lsn.of(123), "audit", new byte[] {1, 2, 3})),
                Arguments.of("non-transactional message", PgBytes.message('M').i8(0).i64(124).cstring("").counted(new byte[0]),
                        new ChangeEvent.LogicalMessage(0, false, Lsn.of(124), "", new byte[0])),
                Arguments.of("commit", PgBytes.message('C').i8(0).i64(0x16_B374D848L).i64(0x16_B374D900L).i64(COMMIT_MICROS),
                        new ChangeEvent.Commit(0, Lsn.of(0x16_B374D848L), Lsn.of(0x16_B374D900L), COMMIT_TIME)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocol1Messages")
    void decodesProtocol1Messages(String name, PgBytes message, ChangeEvent expected) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(relation(false).buffer());
        ByteBuffer buffer = message.buffer();
        assertEvent(expected, decoder.decode(buffer));
        assertFalse(buffer.hasRemaining());
    }

    @Test
    void decodesAStreamedTransactionWithXidPrefixes() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        Row row = row(1L, null, null, null);
        List<Object[]> steps = List.of(
                new Object[] {PgBytes.message('S').i32((int) XID).i8(1), new ChangeEvent.StreamStart(XID, true)},
                new Object[] {relation(true), new ChangeEvent.Relation(XID, ORDERS_SCHEMA)},
                new Object[] {PgBytes.message('Y').i32((int) XID).i32(50000).cstring("public").cstring("mood"),
                        new ChangeEvent.TypeDefinition(XID, 50000, "public", "mood")},
                new Object[] {data('I', true).i8('N').tuple("1", null, null, null), new ChangeEvent.Insert(XID, ORDERS_SCHEMA, row)},
                new Object[] {data('U', true).i8('K').tuple("1", null, null, null).i8('N').tuple("1", null, null, null),
                        new ChangeEvent.Update(XID, ORDERS_SCHEMA, OldRowKind.KEY, row, row)},
                new Object[] {data('D', true).i8('K').tuple("1", null, null, null), new ChangeEvent.Delete(XID, ORDERS_SCHEMA, OldRowKind.KEY, row)},
                new Object[] {PgBytes.message('T').i32((int) XID).i32(1).i8(1).i32(ORDERS), new ChangeEvent.Truncate(XID, List.of(ORDERS_SCHEMA), true, false)},
                new Object[] {PgBytes.message('M').i32((int) XID).i8(1).i64(5).cstring("p").counted(new byte[] {9}),
                        new ChangeEvent.LogicalMessage(XID, true, Lsn.of(5), "p", new byte[] {9})},
                new Object[] {PgBytes.message('E'), new ChangeEvent.StreamStop()},
                // Between segments, an ordinary transaction: no xid prefix.
                new Object[] {data('I', false).i8('N').tuple("1", null, null, null), new ChangeEvent.Insert(0, ORDERS_SCHEMA, row)},
                new Object[] {PgBytes.message('S').i32((int) XID).i8(0), new ChangeEvent.StreamStart(XID, false)},
                new Object[] {data('I', true).i8('N').tuple("1", null, null, null), new ChangeEvent.Insert(XID, ORDERS_SCHEMA, row)},
                new Object[] {PgBytes.message('E'), new ChangeEvent.StreamStop()},
                new Object[] {PgBytes.message('c').i32((int) XID).i8(0).i64(100).i64(200).i64(COMMIT_MICROS),
                        new ChangeEvent.StreamCommit(XID, 0, Lsn.of(100), Lsn.of(200), COMMIT_TIME)},
                new Object[] {PgBytes.message('A').i32(778).i32(779), new ChangeEvent.StreamAbort(778, 779)},
                new Object[] {PgBytes.message('A').i32(778).i32(778).i64(300).i64(COMMIT_MICROS), new ChangeEvent.StreamAbort(778, 778)});
        for (Object[] step : steps) {
            assertEvent((ChangeEvent) step[1], decoder.decode(((PgBytes) step[0]).buffer()));
        }
    }

    @Test
    void convertsColumnValuesPerTheRelationsTypes() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(PgBytes.message('R').i32(7).cstring("s").cstring("all types").i8('f').i16(4)
                .i8(0).cstring("t").i32(PgType.TIMESTAMPTZ).i32(-1)
                .i8(0).cstring("e").i32(99999).i32(-1)
                .i8(0).cstring("a").i32(PgType.INT4_ARRAY).i32(-1)
                .i8(0).cstring("b").i32(PgType.BYTEA).i32(-1).buffer());
        ChangeEvent.Insert insert = (ChangeEvent.Insert) decoder.decode(PgBytes.message('I').i32(7).i8('N')
                .tuple("2024-01-02 03:04:05.5+05:30", "happy", "{{1,NULL},{3,4}}", "\\x00ff").buffer());
        Row row = insert.newRow();
        assertEquals(Instant.parse("2024-01-01T21:34:05.5Z"), row.get(0));
        assertEquals("happy", row.get(1));
        assertEquals(List.of(java.util.Arrays.asList(1, null), List.of(3, 4)), row.get(2));
        assertArrayEquals(new byte[] {0, -1}, (byte[]) row.get(3));
        assertEquals(ReplicaIdentity.FULL, decoder.relation(7).orElseThrow().replicaIdentity());
    }

    @Test
    void readsFromSlicesAndDirectBuffers() {
        byte[] insert = data('I', false).i8('N').tuple("7", null, null, null).bytes();
        byte[] padded = new byte[insert.length + 10];
        System.arraycopy(insert, 0, padded, 5, insert.length);
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(relation(false).buffer());
        ByteBuffer slice = ByteBuffer.wrap(padded, 5, insert.length).slice();
        ByteBuffer direct = ByteBuffer.allocateDirect(insert.length).put(insert).flip();
        for (ByteBuffer buffer : List.of(slice, direct, ByteBuffer.wrap(padded, 5, insert.length))) {
            int limit = buffer.limit();
            ChangeEvent.Insert event = (ChangeEvent.Insert) decoder.decode(buffer);
            assertEquals(7L, event.newRow().get(0));
            assertEquals(limit, buffer.position());
        }
    }

    @Test
    void keepsTheLatestSchemaOfEachRelation() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        assertTrue(decoder.relation(ORDERS).isEmpty());
        decoder.decode(relation(false).buffer());
        assertEquals(ORDERS_SCHEMA, decoder.relation(ORDERS).orElseThrow());
        decoder.decode(PgBytes.message('R').i32(ORDERS).cstring("").cstring("orders").i8('n').i16(1)
                .i8(0).cstring("id").i32(PgType.INT4).i32(-1).buffer());
        RelationSchema changed = decoder.relation(ORDERS).orElseThrow();
        assertEquals(TableId.of("pg_catalog", "orders"), changed.table());
        assertEquals(1, changed.columnCount());
        ChangeEvent.Insert insert = (ChangeEvent.Insert) decoder.decode(data('I', false).i8('N').tuple("5").buffer());
        assertEquals(5, insert.newRow().get(0));
    }

    static Stream<Arguments> rejectedMessages() {
        return Stream.of(
                Arguments.of("unknown relation", PgBytes.message('I').i32(999).i8('N').tuple("1"), "INSERT message at byte 1: unknown relation OID 999"),
                Arguments.of("unknown relation in truncate", PgBytes.message('T').i32(1).i8(0).i32(999), "TRUNCATE message at byte 6: unknown relation OID 999"),
                Arguments.of("too few columns", data('I', false).i8('N').tuple("1", "2", "3"), "INSERT message at byte 6: tuple has 3 columns but relation public.orders (OID 16385) has 4"),
                Arguments.of("too many columns", data('D', false).i8('K').tuple("1", null, null, null, null), "DELETE message at byte 6: tuple has 5 columns"),
                Arguments.of("unknown message type", PgBytes.message('Z').i32(1), "unknown message type byte 0x5A ('Z')"),
                Arguments.of("unprintable message type", PgBytes.message((char) 0x01), "unknown message type byte 0x01;"),
                Arguments.of("empty message", PgBytes.empty(), "message is empty"),
                Arguments.of("unknown column kind", data('I', false).i8('N').i16(4).i8('x'), "INSERT message at byte 8: expected column kind 'n', 'u', 't' or 'b' for column 1 of 4, found 'x'"),
                Arguments.of("insert without N", data('I', false).i8('K').tuple("1", null, null, null), "INSERT message at byte 5: expected tuple tag 'N' (new tuple), found 'K'"),
                Arguments.of("update with a bad tag", data('U', false).i8('X'), "UPDATE message at byte 5: expected tuple tag 'K', 'O' or 'N'"),
                Arguments.of("update without new tuple", data('U', false).i8('K').tuple("1", null, null, null).i8('O').tuple("1", null, null, null), "UPDATE message at byte 17: expected tuple tag 'N'"),
                Arguments.of("delete with N", data('D', false).i8('N').tuple("1", null, null, null), "DELETE message at byte 5: expected tuple tag 'K' (key) or 'O'"),
                Arguments.of("trailing bytes", PgBytes.message('E').i8(0), "STREAM STOP message at byte 1: expected the end of the message, 1 bytes left"),
                Arguments.of("stream stop outside a stream", PgBytes.message('E'), "STREAM STOP outside a stream block"),
                Arguments.of("stream abort with odd trailer", PgBytes.message('A').i32(1).i32(1).i32(0), "STREAM ABORT message at byte 9"),
                Arguments.of("negative value length", data('I', false).i8('N').i16(4).i8('t').i32(-2), "INSERT message at byte 9: expected a non-negative length of the text value bytes, found -2"),
                Arguments.of("negative message length", PgBytes.message('M').i8(1).i64(1).cstring("p").i32(-1), "MESSAGE message at byte 12: expected a non-negative length"),
                Arguments.of("bad replica identity", PgBytes.message('R').i32(1).cstring("s").cstring("t").i8('z').i16(0), "RELATION message at byte 9: unknown replica identity code 'z'"),
                Arguments.of("empty relation name", PgBytes.message('R').i32(1).cstring("s").cstring("").i8('d').i16(0), "RELATION message at byte 7: table name is empty"),
                Arguments.of("huge truncate count", PgBytes.message('T').i32(Integer.MAX_VALUE).i8(0).i32(ORDERS), "TRUNCATE message at byte 1: expected a relation count that fits"),
                Arguments.of("bad value", data('I', false).i8('N').tuple("1", "x", "12abc", null),
                        "INSERT message at byte 20: column \"price\" of public.orders: invalid numeric text '12abc'"),
                Arguments.of("bad array element", data('I', false).i8('N').tuple("1", "x", null, "{a,\"b"),
                        "column \"tags\" of public.orders: invalid text[] text '{a,\"b': expected a closing '\"'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedMessages")
    void rejectsWithAClearMessage(String name, PgBytes message, String expectedMessagePart) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(relation(false).buffer());
        TidelineException e = assertThrows(TidelineException.class, () -> decoder.decode(message.buffer()));
        assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage());
        assertEquals(TidelineException.Kind.FATAL, e.kind());
        assertTrue(e.hint() != null && !e.hint().isBlank());
    }

    @Test
    void valueErrorsQuoteOnlyAShortExcerpt() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(relation(false).buffer());
        String secret = "x".repeat(10_000);
        TidelineException e = assertThrows(TidelineException.class,
                () -> decoder.decode(data('I', false).i8('N').tuple(secret, null, null, null).buffer()));
        assertTrue(e.getMessage().contains("column \"id\" of public.orders: invalid int8 text 'xxxxxxxx"), e.getMessage());
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(chars = {'b', 'P', 'K', 'r', 'p'})
    void twoPhaseMessagesNeedAnOperator(char type) {
        TidelineException e = assertThrows(TidelineException.class, () -> new PgOutputDecoder().decode(PgBytes.message(type).i64(1).buffer()));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
        assertTrue(e.hint().contains("two_phase"));
    }

    @Test
    void rejectsANestedStreamStart() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(PgBytes.message('S').i32(1).i8(1).buffer());
        TidelineException e = assertThrows(TidelineException.class, () -> decoder.decode(PgBytes.message('S').i32(2).i8(1).buffer()));
        assertTrue(e.getMessage().contains("STREAM START inside a stream block"), e.getMessage());
    }

    /** One valid message of every kind, and whether it belongs inside a stream block. */
    record Sample(String typeName, boolean streamed, PgBytes message) {
        @Override
        public String toString() {
            return typeName + (streamed ? " (streamed)" : "");
        }
    }

    static Stream<Sample> samples() {
        return Stream.of(
                new Sample("BEGIN", false, PgBytes.message('B').i64(1).i64(2).i32(3)),
                new Sample("COMMIT", false, PgBytes.message('C').i8(0).i64(1).i64(2).i64(3)),
                new Sample("ORIGIN", false, PgBytes.message('O').i64(1).cstring("origin")),
                new Sample("RELATION", false, relation(false)),
                new Sample("RELATION", true, relation(true)),
                new Sample("TYPE", false, PgBytes.message('Y').i32(1).cstring("public").cstring("mood")),
                new Sample("TYPE", true, PgBytes.message('Y').i32(1).i32(1).cstring("public").cstring("mood")),
                new Sample("INSERT", false, data('I', false).i8('N').tuple("1", "text", "1.50", "{a,\"b c\",NULL}")),
                new Sample("INSERT", true, data('I', true).i8('N').tuple(PgBytes.empty().i64(1).bytes(), null, PgBytes.TOAST, "{}")),
                new Sample("UPDATE", false, data('U', false).i8('N').tuple("1", "text", "1.50", null)),
                new Sample("UPDATE", false, data('U', false).i8('O').tuple("1", "a", "1.50", null).i8('N').tuple("1", "b", "1.50", null)),
                new Sample("UPDATE", true, data('U', true).i8('K').tuple("1", null, null, null).i8('N').tuple("2", "b", "1.50", null)),
                new Sample("DELETE", false, data('D', false).i8('K').tuple("1", null, null, null)),
                new Sample("DELETE", true, data('D', true).i8('O').tuple("1", "a", "2", "{x}")),
                new Sample("TRUNCATE", false, PgBytes.message('T').i32(2).i8(1).i32(ORDERS).i32(ORDERS)),
                new Sample("TRUNCATE", true, PgBytes.message('T').i32(1).i32(1).i8(1).i32(ORDERS)),
                new Sample("MESSAGE", false, PgBytes.message('M').i8(1).i64(1).cstring("prefix").counted(new byte[] {1, 2})),
                new Sample("MESSAGE", true, PgBytes.message('M').i32(1).i8(0).i64(1).cstring("prefix").counted(new byte[] {1, 2})),
                new Sample("STREAM START", false, PgBytes.message('S').i32(1).i8(1)),
                new Sample("STREAM STOP", true, PgBytes.message('E')),
                new Sample("STREAM COMMIT", false, PgBytes.message('c').i32(1).i8(0).i64(1).i64(2).i64(3)),
                new Sample("STREAM ABORT", false, PgBytes.message('A').i32(1).i32(2)));
    }

    static PgOutputDecoder primed(boolean inStream) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        decoder.decode(relation(false).buffer());
        if (inStream) {
            decoder.decode(PgBytes.message('S').i32((int) XID).i8(1).buffer());
        }
        return decoder;
    }

    private static final Pattern OFFSET = Pattern.compile("message at byte (\\d+): ");

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyTruncationFailsNamingTheMessageAndOffset(Sample sample) {
        byte[] full = sample.message().bytes();
        PgOutputDecoder decoder = primed(sample.streamed());
        for (int length = 1; length < full.length; length++) {
            ByteBuffer cut = ByteBuffer.wrap(full, 0, length);
            int cutAt = length;
            TidelineException e = assertThrows(TidelineException.class, () -> decoder.decode(cut), () -> "cut at " + cutAt);
            assertTrue(e.getMessage().startsWith("malformed pgoutput " + sample.typeName() + " message at byte "), e.getMessage());
            Matcher m = OFFSET.matcher(e.getMessage());
            assertTrue(m.find(), e.getMessage());
            int offset = Integer.parseInt(m.group(1));
            assertTrue(offset >= 1 && offset <= length, "offset " + offset + " for a cut at " + length + ": " + e.getMessage());
        }
        // Failed messages left the decoder's state alone: the full message still decodes.
        decoder.decode(ByteBuffer.wrap(full));
    }

    @Test
    void randomAndMutatedBytesOnlyEverThrowTidelineException() {
        Random random = new Random(20240101L);
        byte[] types = "BCORYIUDTMSEcAbPKrpZ\0".getBytes(StandardCharsets.ISO_8859_1);
        List<Sample> samples = samples().toList();
        int decoded = 0;
        for (int i = 0; i < 6000; i++) {
            byte[] bytes;
            boolean inStream = random.nextBoolean();
            if (i % 2 == 0) {
                bytes = new byte[random.nextInt(48)];
                random.nextBytes(bytes);
                if (bytes.length > 0) {
                    bytes[0] = types[random.nextInt(types.length)];
                }
            } else {
                Sample sample = samples.get(random.nextInt(samples.size()));
                bytes = sample.message().bytes();
                inStream = sample.streamed();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            try {
                primed(inStream).decode(ByteBuffer.wrap(bytes));
                decoded++;
            } catch (TidelineException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isBlank());
            } catch (RuntimeException e) {
                fail("case " + i + " threw " + e + " for " + java.util.HexFormat.of().formatHex(bytes), e);
            }
        }
        assertTrue(decoded > 100, "mutations should sometimes still decode, decoded " + decoded);
    }

    static void assertEvent(ChangeEvent expected, ChangeEvent actual) {
        if (expected instanceof ChangeEvent.LogicalMessage e && actual instanceof ChangeEvent.LogicalMessage a) {
            assertEquals(List.of(e.xid(), e.transactional(), e.lsn(), e.prefix()), List.of(a.xid(), a.transactional(), a.lsn(), a.prefix()));
            assertArrayEquals(e.content(), a.content());
        } else {
            assertEquals(expected, actual);
        }
    }
}
