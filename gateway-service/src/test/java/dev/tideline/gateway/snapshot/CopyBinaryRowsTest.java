package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.EncodedRows;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary COPY stream, built by hand as Postgres sends it, into encoded rows. */
class CopyBinaryRowsTest {

    private static final RelationSchema SCHEMA = new RelationSchema(1, TableId.of("s", "t"), ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("note", PgType.TEXT, -1, false),
            new ColumnSchema("mood", 90_000, -1, false))); // an enum: selected as text

    private static byte[] header() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0});
        out.writeInt(0); // flags
        out.writeInt(0); // header extension length
        return bytes.toByteArray();
    }

    private static byte[] row(long id, String note, String mood) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeShort(3);
        out.writeInt(8);
        out.writeLong(id);
        if (note == null) {
            out.writeInt(-1);
        } else {
            byte[] b = note.getBytes(StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
        }
        byte[] m = mood.getBytes(StandardCharsets.UTF_8);
        out.writeInt(m.length);
        out.write(m);
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void rowsArriveTypedWithoutBeingDecodedOnTheWay() throws IOException {
        EncodedRows rows = new EncodedRows(SCHEMA, 16);
        CopyBinaryRows parser = new CopyBinaryRows(rows);
        parser.accept(concat(header(), row(1, "caf\u00e9", "happy"))); // the header comes with the first row
        parser.accept(row(2, null, "sad"));
        parser.accept(new byte[] {(byte) 0xFF, (byte) 0xFF}); // trailer
        assertEquals(2, rows.size());
        assertEquals(Row.of(1L, "caf\u00e9", "happy"), rows.row(0));
        assertEquals(Row.of(2L, null, "sad"), rows.row(1));
    }

    @Test
    void malformedStreamsAreRefusedWithTheReason() throws IOException {
        IllegalArgumentException noHeader = assertThrows(IllegalArgumentException.class,
                () -> new CopyBinaryRows(new EncodedRows(SCHEMA, 16)).accept(row(1, "x", "y")));
        assertTrue(noHeader.getMessage().contains("header") || noHeader.getMessage().contains("signature"), noHeader.getMessage());

        byte[] cut = concat(header(), row(1, "x", "y"));
        byte[] shorter = java.util.Arrays.copyOf(cut, cut.length - 1);
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class,
                () -> new CopyBinaryRows(new EncodedRows(SCHEMA, 16)).accept(shorter));
        assertTrue(split.getMessage().contains("past the end"), split.getMessage());

        byte[] twoFields = concat(header(), new byte[] {0, 2, 0, 0, 0, 0, 0, 0, 0, 0});
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> new CopyBinaryRows(new EncodedRows(SCHEMA, 16)).accept(twoFields));
        assertTrue(width.getMessage().contains("2 fields, expected 3"), width.getMessage());
    }
}
