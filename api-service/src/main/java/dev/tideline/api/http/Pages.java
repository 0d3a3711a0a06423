package dev.tideline.api.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Databricks' token pagination for every list endpoint: the request says how many entries it wants
 * ({@code max_results}, or {@code page_size} in the database API) and where to continue ({@code page_token});
 * the response carries {@code next_page_token} while entries remain, and none on the last page.
 *
 * <p>A token is the key of the last entry returned (opaque to clients), not an offset: entries created or
 * deleted between two pages shift nothing, so a client walking all pages sees every entry that existed for the
 * whole walk exactly once. Entries are sorted by that key.
 *
 * @param <T> the entry type
 */
public final class Pages<T> {

    /** The page size when the client asks for none (or for 0, Databricks' "server default"). */
    public static final int DEFAULT_SIZE = 100;
    /** The largest page a client may ask for; Databricks rejects larger ones too. */
    public static final int MAX_SIZE = 1000;

    private final List<T> items;
    private final String nextPageToken;

    private Pages(List<T> items, String nextPageToken) {
        this.items = items;
        this.nextPageToken = nextPageToken;
    }

    /**
     * The page of {@code all} that follows {@code pageToken}, at most {@code size} entries.
     *
     * @param sizeField the request field that gave the size, named in errors ({@code max_results} or {@code page_size})
     * @param size      the requested size as sent; null, empty or 0 = {@link #DEFAULT_SIZE}
     * @param key       the unique sort key of an entry
     * @throws ApiException 400 naming the field when the size is negative or above {@link #MAX_SIZE}, or the token
     *                      is not one this API issued
     */
    public static <T> Pages<T> of(List<T> all, String sizeField, String size, String pageToken, Function<T, String> key) {
        int limit;
        try {
            limit = size == null || size.isBlank() ? 0 : Integer.parseInt(size.strip());
        } catch (NumberFormatException e) {
            limit = -1;
        }
        limit = limit == 0 ? DEFAULT_SIZE : limit;
        if (limit < 1 || limit > MAX_SIZE) {
            throw ApiException.invalid(sizeField, "'" + size + "' is not a page size; use 1 to " + MAX_SIZE + " (or leave it out for " + DEFAULT_SIZE + ")");
        }
        String after = pageToken == null || pageToken.isEmpty() ? null : decode(pageToken);
        List<T> sorted = all.stream().sorted(Comparator.comparing(key)).filter(t -> after == null || key.apply(t).compareTo(after) > 0).toList();
        if (sorted.size() <= limit) {
            return new Pages<>(sorted, null);
        }
        List<T> page = sorted.subList(0, limit);
        return new Pages<>(page, encode(key.apply(page.get(limit - 1))));
    }

    public List<T> items() {
        return items;
    }

    /** The token of the next page; null on the last page. */
    public String nextPageToken() {
        return nextPageToken;
    }

    private static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("k:" + key).getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String token) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (decoded.startsWith("k:")) {
                return decoded.substring(2);
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw ApiException.invalid("page_token", "'" + token + "' is not a page token of this list; pass the next_page_token of the"
                + " previous response unchanged, or leave it out for the first page");
    }
}
