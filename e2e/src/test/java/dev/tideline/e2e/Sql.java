package dev.tideline.e2e;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.postgresql.PGConnection;

/** Plain JDBC on the source and target Postgres of the stack, as a user runs SQL there (never on Tideline). */
final class Sql {

    private Sql() {
    }

    /** Runs each statement in order, in autocommit mode. */
    static void run(String url, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** A query parameter of a URL such as the JDBC URLs {@code stack.env} holds ({@code password}, {@code user}). */
    static String urlParameter(URI url, String name) {
        for (String pair : url.getQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        throw new IllegalStateException(url + " has no " + name);
    }

    /** The rows of {@code query}, each as its columns' text. */
    static List<List<String>> query(String url, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            List<List<String>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    /**
     * Streams {@code copyOut} (a {@code COPY … TO STDOUT}) on one database into {@code copyIn} (a
     * {@code COPY … FROM STDIN}) on another, as {@code psql … | psql …} would; returns the rows copied in.
     */
    static long copy(String fromUrl, String copyOut, String toUrl, String copyIn) throws Exception {
        try (Connection from = DriverManager.getConnection(fromUrl); Connection to = DriverManager.getConnection(toUrl);
             PipedInputStream in = new PipedInputStream(1 << 20); PipedOutputStream out = new PipedOutputStream(in)) {
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try (out) {
                    return from.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOut, out);
                } catch (SQLException | IOException e) {
                    throw new CompletionException(e);
                }
            });
            long rows = to.unwrap(PGConnection.class).getCopyAPI().copyIn(copyIn, in);
            reader.join();
            return rows;
        }
    }
}
