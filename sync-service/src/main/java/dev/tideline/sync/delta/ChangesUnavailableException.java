package dev.tideline.sync.delta;

/**
 * The commits between the synced version and the newest one cannot be read (log retention removed
 * them, or they are unreadable): the caller falls back to a snapshot, which needs no history.
 */
public final class ChangesUnavailableException extends RuntimeException {

    public ChangesUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
