package dev.tideline.control.kv;

/** A value read from KV with the revision to pass to a compare-and-set update. */
public record Versioned<T>(String key, T value, long revision) {
}
