package dev.tideline.testing.pgoutput;

import dev.tideline.testing.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;

/**
 * Records the golden pgoutput fixtures of {@code core/src/test/resources/pgoutput}: starts a
 * {@link PostgresServer}, runs each {@link FixtureScenarios scenario} in a database of its own,
 * streams its slot with pgjdbc and writes
 * <ul>
 *   <li>{@code <scenario>.bin}: every XLogData payload (one pgoutput message each) as
 *       {@code [int32 big-endian length][bytes]}, in arrival order;</li>
 *   <li>{@code <scenario>.sql}: the SQL that produced it, the slot options and the server version.</li>
 * </ul>
 * Run it through Maven (it is the {@code record-fixtures} test of the testing module):
 * <pre>
 * ./mvnw -B -pl core,testing -am install -DskipTests
 * ./mvnw -B -o -pl testing test -Dtest=PgOutputFixtureRecorderTest -Dtideline.recordFixtures=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * or directly: {@code java -cp <testing classpath> dev.tideline.testing.pgoutput.PgOutputFixtureRecorder <output dir>}.
 *
 * <p>The walsender prints {@code timestamptz} values in the session time zone that pgjdbc sends from
 * the JVM's default; the recorder pins it to {@value #TIME_ZONE} (a +05:30 offset, and a +05:53:28
 * local mean time before 1906) so that decoders are tested against non-UTC offsets.
 */
public final class PgOutputFixtureRecorder {

    static final String TIME_ZONE = "Asia/Kolkata";
    private static final String END_PREFIX = "tideline-fixture-end";
    private static final Duration SCENARIO_TIMEOUT = Duration.ofSeconds(60);

    private PgOutputFixtureRecorder() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args.length > 0 ? args[0] : "core/src/test/resources/pgoutput");
        record(out);
    }

    /** Records every scenario into {@code outputDir}, replacing existing fixtures of the same name. */
    public static void record(Path outputDir) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone(TIME_ZONE));
        Files.createDirectories(outputDir);
        // 64kB (the minimum) makes a transaction of a few hundred rows stream in protocol 2.
        try (PostgresServer server = PostgresServer.builder().setting("logical_decoding_work_mem", "64kB").build()) {
            server.start();
            String version = server.version();
            for (FixtureScenario scenario : FixtureScenarios.all()) {
                List<byte[]> messages = record(server, scenario);
                write(outputDir, scenario, messages, version);
                System.out.printf("%-32s %5d messages%n", scenario.name(), messages.size());
            }
        }
    }

    private static List<byte[]> record(PostgresServer server, FixtureScenario scenario) throws SQLException, InterruptedException {
        String database = scenario.name().replace('-', '_');
        server.createDatabase(database);
        try (Connection sql = server.connect(database); Connection replication = server.replicationConnection(database)) {
            execute(sql, scenario.setup());
            PGConnection pg = replication.unwrap(PGConnection.class);
            pg.getReplicationAPI().createReplicationSlot().logical()
                    .withSlotName(database).withOutputPlugin("pgoutput").make();
            ChainedLogicalStreamBuilder builder = pg.getReplicationAPI().replicationStream().logical()
                    .withSlotName(database)
                    .withStartPosition(LogSequenceNumber.INVALID_LSN)
                    .withSlotOption("proto_version", Integer.toString(scenario.protoVersion()))
                    .withSlotOption("publication_names", FixtureScenarios.PUBLICATION)
                    .withSlotOption("messages", "true")
                    .withStatusInterval(1, TimeUnit.SECONDS);
            if (scenario.streaming()) {
                builder.withSlotOption("streaming", "on");
            }
            if (scenario.binary()) {
                builder.withSlotOption("binary", "true");
            }
            List<byte[]> messages = new ArrayList<>();
            // The stream is open while the script runs so that a large transaction can be streamed
            // while it is still in progress; decoding it after its abort would find the abort and
            // skip its changes, which is not what a live slot sees.
            try (PGReplicationStream stream = builder.start()) {
                for (String statement : scenario.script()) {
                    if (statement.equals(FixtureScenario.AWAIT_STREAMED)) {
                        int from = messages.size();
                        readUntil(stream, messages, scenario, () -> indexOf(messages, 'E', from) >= 0);
                    } else if (statement.equals(FixtureScenario.AWAIT_SUBTRANSACTION_STREAMED)) {
                        int from = messages.size();
                        readUntil(stream, messages, scenario, () -> subtransactionStreamed(messages, from));
                    } else {
                        execute(sql, List.of(statement));
                    }
                }
                execute(sql, List.of("SELECT pg_logical_emit_message(false, '" + END_PREFIX + "', '')"));
                boolean[] ended = new boolean[1];
                readUntil(stream, messages, scenario, () -> {
                    if (!messages.isEmpty() && isEndMarker(messages.get(messages.size() - 1))) {
                        messages.remove(messages.size() - 1);
                        ended[0] = true;
                    }
                    return ended[0];
                });
            }
            pg.getReplicationAPI().dropReplicationSlot(database);
            String tags = tags(messages);
            for (char expected : scenario.expect().toCharArray()) {
                if (tags.indexOf(expected) < 0) {
                    throw new IllegalStateException("scenario " + scenario.name() + " recorded no '" + expected
                            + "' message (tags: " + tags + "); the scenario no longer exercises what it is for");
                }
            }
            return messages;
        }
    }

    private static void readUntil(PGReplicationStream stream, List<byte[]> messages, FixtureScenario scenario,
                                  java.util.function.BooleanSupplier done) throws SQLException, InterruptedException {
        Instant deadline = Instant.now().plus(SCENARIO_TIMEOUT);
        while (!done.getAsBoolean()) {
            ByteBuffer buffer = stream.readPending();
            if (buffer == null) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("scenario " + scenario.name() + ": the awaited messages did not arrive within "
                            + SCENARIO_TIMEOUT.toSeconds() + " s; got " + tags(messages));
                }
                TimeUnit.MILLISECONDS.sleep(10);
                continue;
            }
            byte[] message = new byte[buffer.remaining()];
            buffer.get(message);
            messages.add(message);
        }
    }

    private static int indexOf(List<byte[]> messages, char tag, int from) {
        for (int i = from; i < messages.size(); i++) {
            if (messages.get(i)[0] == tag) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether, since {@code from}, a streamed segment ended that held a change of a subtransaction:
     * in a stream, each change carries the xid of its (sub)transaction and Stream Start the top one.
     */
    private static boolean subtransactionStreamed(List<byte[]> messages, int from) {
        int topXid = 0;
        boolean seen = false;
        for (int i = 0; i < messages.size(); i++) {
            byte[] m = messages.get(i);
            if (m[0] == 'S') {
                topXid = ByteBuffer.wrap(m, 1, 4).getInt();
            } else if (m[0] == 'I' && i >= from && ByteBuffer.wrap(m, 1, 4).getInt() != topXid) {
                seen = true;
            } else if (m[0] == 'E' && seen) {
                return true;
            }
        }
        return false;
    }

    /** The recorder's own non-transactional message: 'M', flags 0, LSN, then the prefix. */
    private static boolean isEndMarker(byte[] message) {
        byte[] prefix = (END_PREFIX + "\0").getBytes(StandardCharsets.US_ASCII);
        if (message.length < 10 + prefix.length || message[0] != 'M' || message[1] != 0) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (message[10 + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static String tags(List<byte[]> messages) {
        StringBuilder tags = new StringBuilder();
        for (byte[] m : messages) {
            tags.append((char) m[0]);
        }
        return tags.toString();
    }

    private static void execute(Connection connection, List<String> statements) throws SQLException {
        try (Statement s = connection.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static void write(Path dir, FixtureScenario scenario, List<byte[]> messages, String version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(bytes)) {
            for (byte[] message : messages) {
                data.writeInt(message.length);
                data.write(message);
            }
        }
        Files.write(dir.resolve(scenario.name() + ".bin"), bytes.toByteArray());

        StringBuilder sql = new StringBuilder();
        sql.append("-- Golden pgoutput fixture ").append(scenario.name()).append(".bin, recorded by\n")
                .append("-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.\n")
                .append("-- Server: PostgreSQL ").append(version).append(" (logical_decoding_work_mem = 64kB)\n")
                .append("-- Slot options: proto_version '").append(scenario.protoVersion()).append("', publication_names '")
                .append(FixtureScenarios.PUBLICATION).append("', messages 'true'")
                .append(scenario.streaming() ? ", streaming 'on'" : "")
                .append(scenario.binary() ? ", binary 'true'" : "").append('\n')
                .append("-- Walsender TimeZone: ").append(TIME_ZONE).append(" (text timestamptz values carry its offset)\n")
                .append("-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]\n")
                .append("-- Messages: ").append(messages.size()).append(", tags in order: ").append(abbreviate(tags(messages))).append("\n\n")
                .append("-- Setup, before the slot was created (not in the fixture):\n");
        scenario.setup().forEach(s -> sql.append(s.strip()).append(";\n"));
        sql.append("\n-- Slot created here; the fixture holds the decoding of what follows:\n");
        scenario.script().forEach(s -> sql.append(s.strip()).append(s.startsWith("--") ? "\n" : ";\n"));
        sql.append("\n-- The recorder then emits pg_logical_emit_message(false, '").append(END_PREFIX)
                .append("', '') to find the end of the stream; that message is not in the fixture.\n");
        Files.writeString(dir.resolve(scenario.name() + ".sql"), sql.toString());
    }

    private static String abbreviate(String tags) {
        // streamed scenarios have thousands of 'I's: run-length encode long runs
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < tags.length()) {
            int j = i;
            while (j < tags.length() && tags.charAt(j) == tags.charAt(i)) {
                j++;
            }
            out.append(tags.charAt(i));
            if (j - i > 3) {
                out.append('{').append(j - i).append('}');
            } else {
                out.append(String.valueOf(tags.charAt(i)).repeat(j - i - 1));
            }
            i = j;
        }
        return out.toString();
    }
}
