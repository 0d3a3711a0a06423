package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The warehouse every service reads and writes: one value, parsed once from {@code tideline.warehouse}, so that
 * apply-service, sync-service and api-service agree on where {@code catalog.schema.table} lives.
 *
 * <ul>
 *   <li>{@link Kind#LOCAL}: an absolute path, a {@code file:} URI, or a relative path (resolved against the
 *       working directory, as the default {@code .tideline/warehouse} is); spelled {@code file:/abs/path}, the
 *       form Kernel produces when it resolves a path.</li>
 *   <li>{@link Kind#S3}: {@code s3://bucket/prefix} (also {@code s3a://}, the spelling Spark and Hadoop use
 *       for the same objects); served by {@link S3FileIO} on the AWS SDK, without Hadoop.</li>
 *   <li>{@link Kind#HADOOP}: any other URI ({@code abfss:}, {@code gs:}, {@code hdfs:} …), left to a Hadoop file
 *       system on the class path.</li>
 * </ul>
 *
 * <p>The URI never ends with a slash. Table locations are {@code <warehouse>/<catalog>/<schema>/<table>}, each
 * name one segment through {@link IdentifierTokens} (see {@link TableLocations}).
 *
 * @param uri  the normalized warehouse URI
 * @param kind which file layer serves it
 */
public record WarehouseLocation(String uri, Kind kind) {

    /** Which file layer serves a warehouse. */
    public enum Kind { LOCAL, S3, HADOOP }

    public WarehouseLocation {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Parses a configured warehouse: relative local paths are resolved against the working directory, the rest
     * is normalized as {@link #normalize} does.
     *
     * @throws TidelineException (NEEDS_OPERATOR) for a blank or malformed location, or an {@code s3://} URI
     *                           without a bucket
     */
    public static WarehouseLocation of(String configured) {
        if (configured == null || configured.isBlank()) {
            throw invalid(configured, "it is empty");
        }
        String w = configured.strip();
        if (!w.startsWith("/") && !w.contains(":")) {
            w = Path.of(w).toAbsolutePath().normalize().toString();
        }
        String uri = normalize(w);
        Kind kind = kindOf(uri);
        if (kind == Kind.S3) {
            S3Path.parse(uri); // a bucket must be named
        }
        return new WarehouseLocation(uri, kind);
    }

    /** Which file layer serves an absolute location (as {@link #normalize} spells it): by its scheme. */
    static Kind kindOf(String normalizedLocation) {
        String scheme = normalizedLocation.substring(0, normalizedLocation.indexOf(':')).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "file" -> Kind.LOCAL;
            case "s3", "s3a" -> Kind.S3;
            default -> Kind.HADOOP;
        };
    }

    /** True for {@code file:} warehouses. */
    public boolean isLocal() {
        return kind == Kind.LOCAL;
    }

    /** The local directory of a {@code file:} warehouse. */
    public Path localRoot() {
        if (!isLocal()) {
            throw new IllegalStateException("not a local warehouse: " + uri);
        }
        return Path.of(URI.create(uri));
    }

    /**
     * The local directory of an absolute {@code file:} location (a warehouse, a table or a path below them).
     *
     * @throws IllegalArgumentException for a location served by another file layer
     */
    static Path localPath(String location) {
        String normalized = normalize(location);
        if (kindOf(normalized) != Kind.LOCAL) {
            throw new IllegalArgumentException("not a file: location: " + location);
        }
        return Path.of(URI.create(normalized));
    }

    /** {@code <warehouse>/<catalog>/<schema>/<table>}, names encoded with {@link IdentifierTokens}. */
    public String table(String catalog, String schema, String table) {
        return uri + "/" + IdentifierTokens.encode(catalog) + "/" + IdentifierTokens.encode(schema) + "/"
                + IdentifierTokens.encode(table);
    }

    /** {@code <warehouse>/<segment>/…}: a location below the warehouse, segments already encoded. */
    public String resolve(String... segments) {
        StringBuilder s = new StringBuilder(uri);
        for (String segment : segments) {
            s.append('/').append(segment);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return uri;
    }

    /**
     * The canonical form of an absolute warehouse (or table) location: {@code file:/abs/path} for local paths
     * (given as {@code /abs/path}, {@code file:/abs/path} or {@code file:///abs/path}), the URI without trailing
     * slashes otherwise.
     *
     * @throws TidelineException (NEEDS_OPERATOR) for a blank, relative or malformed location
     */
    public static String normalize(String location) {
        if (location == null || location.isBlank()) {
            throw invalid(location, "it is empty");
        }
        String w = location.strip();
        if (w.startsWith("/")) {
            return "file:" + trimTrailingSlashes(Path.of(w).normalize().toString());
        }
        URI uri;
        try {
            uri = new URI(w);
        } catch (URISyntaxException e) {
            throw invalid(location, e.getMessage());
        }
        if (uri.getScheme() == null) {
            throw invalid(location, "it is a relative path");
        }
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw invalid(location, "a file: location needs an absolute path");
            }
            return "file:" + trimTrailingSlashes(Path.of(uri.getPath()).normalize().toString());
        }
        return trimTrailingSlashes(w);
    }

    private static String trimTrailingSlashes(String s) {
        int end = s.length();
        while (end > 1 && s.charAt(end - 1) == '/' && s.charAt(end - 2) != '/' && s.charAt(end - 2) != ':') {
            end--;
        }
        return s.substring(0, end);
    }

    static TidelineException invalid(String warehouse, String why) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "Invalid warehouse location '" + warehouse + "': " + why,
                "Set the warehouse (TIDELINE_WAREHOUSE) to an absolute path (/var/lib/tideline/warehouse), a file: URI, "
                        + "s3://bucket/prefix, or a Hadoop file-system URI such as abfss://container@account/prefix");
    }
}
