package dev.tideline.core.naming;

/**
 * Validation of the ids Tideline mints or accepts for its own resources: pipeline ids (gateway and
 * ingestion pipelines) and snapshot ids. They appear verbatim in subjects, stream names, KV keys and
 * {@code Nats-Msg-Id}s, so they are restricted to {@code [A-Za-z0-9_-]{1,64}}; user-chosen names
 * (tables, synced tables, connections) go through {@link IdentifierTokens} instead.
 */
public final class ResourceIds {

    /** Longest id accepted. */
    public static final int MAX_LENGTH = 64;

    private ResourceIds() {
    }

    /**
     * Returns {@code id} when valid.
     *
     * @param what how the caller names the id in the error, e.g. {@code "pipeline id"}
     * @throws IllegalArgumentException naming {@code what}, the offending character and the rule
     */
    public static String requireValid(String what, String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException(what + " is " + (id == null ? "missing" : "empty")
                    + "; use 1 to " + MAX_LENGTH + " characters of A-Z, a-z, 0-9, '_' and '-'");
        }
        if (id.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " '" + id + "' has " + id.length() + " characters; at most "
                    + MAX_LENGTH + " are allowed");
        }
        for (int i = 0; i < id.length(); i++) {
            if (!IdentifierTokens.passesThrough(id.charAt(i))) {
                throw new IllegalArgumentException(what + " '" + id + "' contains '" + id.charAt(i) + "' at index " + i
                        + "; only A-Z, a-z, 0-9, '_' and '-' are allowed");
            }
        }
        return id;
    }

    public static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (!IdentifierTokens.passesThrough(id.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
