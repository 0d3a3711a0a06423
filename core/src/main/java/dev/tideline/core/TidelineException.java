package dev.tideline.core;

import java.util.Objects;

/**
 * The one exception type of Tideline. Third-party exceptions are wrapped once, at the adapter edge,
 * with the operation that failed (and the LSN where there is one).
 *
 * <p>The {@link Kind} tells the caller what to do: retry with bounded backoff, stop and wait for an
 * operator, or give up. The {@link #hint()} tells the operator how to fix it, in their terms
 * (usually SQL or a configuration property).
 */
public class TidelineException extends RuntimeException {

    /** What a caller may do about an error. */
    public enum Kind {
        /** Transient (connection lost, server restarting): retry with bounded backoff; the operation is idempotent. */
        RETRYABLE,
        /** Something outside Tideline must change (permissions, configuration, a missing slot). */
        NEEDS_OPERATOR,
        /** A bug or corrupt input: retrying cannot help. */
        FATAL
    }

    private final Kind kind;
    private final String hint;

    public TidelineException(Kind kind, String message, String hint) {
        this(kind, message, hint, null);
    }

    public TidelineException(Kind kind, String message, String hint, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.hint = hint;
    }

    public Kind kind() {
        return kind;
    }

    /** How to fix it, or {@code null} when there is nothing the operator can do. */
    public String hint() {
        return hint;
    }

    public boolean isRetryable() {
        return kind == Kind.RETRYABLE;
    }

    @Override
    public String toString() {
        return hint == null ? super.toString() : super.toString() + " (hint: " + hint + ")";
    }
}
