package dev.tideline.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One line of {@code postgres-to-delta-cases.txt}: a Postgres column type, the exact Delta type it
 * must become, whether it is also the table's key, the boundary values to store, and the expected
 * outcome (equal data, or a FAILED table whose message names these words).
 *
 * @param name        the case's name; its source table is {@code fid.t_<name>}
 * @param pgType      the Postgres column type as written in DDL
 * @param deltaType   the Delta type as Spark SQL prints it ({@code decimal(38,18)}, {@code array<date>})
 * @param key         whether the column is (also) the primary key
 * @param values      SQL literals of the values, distinct under Postgres equality when {@code key}
 * @param failure     null when Delta must equal the source; else words the FAILED message must hold
 * @param failsInSnapshot whether a failing case's values are loaded before the snapshot (else streamed)
 */
record TypeCase(String name, String pgType, String deltaType, boolean key, List<String> values, String failure,
                boolean failsInSnapshot) {

    static final String RESOURCE = "/postgres-to-delta-cases.txt";

    /** The cases and the setup SQL of the resource, in file order. */
    record Table(List<String> setup, List<TypeCase> cases) {
    }

    static Table load() throws IOException {
        List<String> setup = new ArrayList<>();
        List<TypeCase> cases = new ArrayList<>();
        try (InputStream in = TypeCase.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the test classpath");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("setup:")) {
                    setup.add(line.substring("setup:".length()).trim());
                    continue;
                }
                cases.add(parse(line));
            }
        }
        return new Table(setup, cases);
    }

    static TypeCase parse(String line) {
        String[] cells = line.split("\\|", -1);
        if (cells.length != 6) {
            throw new IllegalArgumentException("a case has 6 cells separated by |: " + line);
        }
        String outcome = cells[5].trim();
        String failure = null;
        boolean inSnapshot = false;
        if (outcome.startsWith("FAILED@snapshot ")) {
            failure = outcome.substring("FAILED@snapshot ".length());
            inSnapshot = true;
        } else if (outcome.startsWith("FAILED ")) {
            failure = outcome.substring("FAILED ".length());
        } else if (!outcome.equals("equal")) {
            throw new IllegalArgumentException("outcome must be 'equal' or 'FAILED <words>': " + line);
        }
        String kind = cells[3].trim();
        if (!kind.equals("key") && !kind.equals("plain")) {
            throw new IllegalArgumentException("the fourth cell is 'key' or 'plain': " + line);
        }
        List<String> values = Arrays.stream(cells[4].split(";;")).map(String::trim).toList();
        return new TypeCase(cells[0].trim(), cells[1].trim(), cells[2].trim().toLowerCase(Locale.ROOT), kind.equals("key"), values,
                failure, inSnapshot);
    }

    String table() {
        return "t_" + name;
    }

    /** A value cast to the column's type. */
    String literal(int i) {
        return "(" + values.get(i) + ")::" + pgType;
    }
}
