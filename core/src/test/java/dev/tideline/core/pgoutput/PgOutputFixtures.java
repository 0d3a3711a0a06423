package dev.tideline.core.pgoutput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** The golden pgoutput streams recorded from a real Postgres ({@code src/test/resources/pgoutput/*.bin}). */
final class PgOutputFixtures {

    private PgOutputFixtures() {
    }

    /** The raw messages of {@code pgoutput/<scenario>.bin} ([int32 big-endian length][message] repeated), in order. */
    static List<byte[]> messages(String scenario) {
        List<byte[]> messages = new ArrayList<>();
        try (InputStream resource = PgOutputFixtures.class.getResourceAsStream("/pgoutput/" + scenario + ".bin")) {
            if (resource == null) {
                fail("fixture pgoutput/" + scenario + ".bin is missing; record it with PgOutputFixtureRecorder");
            }
            DataInputStream in = new DataInputStream(resource);
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException end) {
                    return messages;
                }
                byte[] message = in.readNBytes(length);
                assertEquals(length, message.length, scenario + ": truncated fixture");
                messages.add(message);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
