package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.delta.DeltaEngines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Assertions on a table's Delta history, read from the {@code _delta_log} JSON files themselves. */
public final class DeltaHistory {

    private static final Pattern TXN = Pattern.compile("\"txn\":\\{\"appId\":\"[^\"]*\",\"version\":(\\d+)");

    private DeltaHistory() {
    }

    /**
     * Every commit's transaction identifier version (the commit LSN of the last source transaction it holds) is
     * above the previous one: no source transaction was applied twice. Also fails when no commit carried one.
     */
    /**
     * The commits after {@code version} that change data (an {@code add} or {@code remove} with
     * {@code dataChange: true}), each as its transaction identifier version, or -1 without one.
     */
    public static List<Long> dataCommitsAfter(DeltaTableWriter table, long version) throws Exception {
        Path log = DeltaEngines.localPath(table.tablePath()).resolve("_delta_log");
        List<Path> commits;
        try (Stream<Path> files = Files.list(log)) {
            commits = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json"))
                    .filter(p -> Long.parseLong(p.getFileName().toString().substring(0, 20)) > version).sorted().toList();
        }
        List<Long> out = new java.util.ArrayList<>();
        for (Path commit : commits) {
            String text = Files.readString(commit);
            if (!DATA_CHANGE.matcher(text).find()) {
                continue;
            }
            Matcher m = TXN.matcher(text);
            out.add(m.find() ? Long.parseLong(m.group(1)) : -1L);
        }
        return out;
    }

    private static final Pattern DATA_CHANGE = Pattern.compile("\\{\"(add|remove)\":\\{[^\\n]*\"dataChange\":true");

    public static void assertNoTransactionAppliedTwice(DeltaTableWriter table) throws Exception {
        assertNoTransactionAppliedTwice(DeltaEngines.localPath(table.tablePath()));
    }

    /** The same, for the table stored in a local directory (a test S3 server's bucket directory, say). */
    public static void assertNoTransactionAppliedTwice(Path tableDirectory) throws Exception {
        Path log = tableDirectory.resolve("_delta_log");
        List<Path> commits;
        try (Stream<Path> files = Files.list(log)) {
            commits = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList();
        }
        long previous = -1;
        int withTxn = 0;
        for (Path commit : commits) {
            Matcher m = TXN.matcher(Files.readString(commit));
            while (m.find()) {
                long version = Long.parseLong(m.group(1));
                assertTrue(version > previous, commit + ": txn version " + version + " not above " + previous);
                previous = version;
                withTxn++;
            }
        }
        assertTrue(withTxn > 0, "no commit carried a transaction identifier in " + log);
    }
}
