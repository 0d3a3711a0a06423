package dev.tideline.control.kv;

import dev.tideline.control.ControlJson;
import dev.tideline.core.TidelineException;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * JSON documents in one NATS KV bucket ({@link ControlJson} form). Thin on purpose: every method is one
 * KV call. NATS failures become RETRYABLE {@link TidelineException}s; a stored document that does not
 * parse is reported, never silently skipped. Thread-safe.
 */
public final class JsonKv {

    /** JetStream's "wrong last sequence" error: a compare-and-set lost the race. */
    private static final int WRONG_LAST_SEQUENCE = 10071;

    private final String bucket;
    private final KeyValue kv;

    JsonKv(String bucket, KeyValue kv) {
        this.bucket = bucket;
        this.kv = kv;
    }

    public String bucket() {
        return bucket;
    }

    /** The document under {@code key}, or empty when there is none (or it was deleted). */
    public <T> Optional<Versioned<T>> get(String key, Class<T> type) {
        KeyValueEntry entry = call("read " + key, () -> kv.get(key));
        if (entry == null || entry.getOperation() != KeyValueOperation.PUT || entry.getValue() == null) {
            return Optional.empty();
        }
        return Optional.of(new Versioned<>(key, decode(entry, type), entry.getRevision()));
    }

    /** Just the value of {@link #get}. */
    public <T> Optional<T> value(String key, Class<T> type) {
        return get(key, type).map(Versioned::value);
    }

    /** Stores {@code value} under {@code key}, last writer wins; returns the new revision. */
    public long put(String key, Object value) {
        return call("write " + key, () -> kv.put(key, ControlJson.toBytes(value)));
    }

    /**
     * Stores {@code value} only when {@code key} holds nothing.
     *
     * @return the new revision, or empty when the key already exists
     */
    public Optional<Long> create(String key, Object value) {
        try {
            return Optional.of(kv.create(key, ControlJson.toBytes(value)));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return Optional.empty();
            }
            throw failure("create " + key, e);
        } catch (IOException e) {
            throw failure("create " + key, e);
        }
    }

    /**
     * Replaces the document only when it is still at {@code expectedRevision}.
     *
     * @return the new revision, or empty when somebody else wrote it in between
     */
    public Optional<Long> update(String key, Object value, long expectedRevision) {
        try {
            return Optional.of(kv.update(key, ControlJson.toBytes(value), expectedRevision));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return Optional.empty();
            }
            throw failure("update " + key, e);
        } catch (IOException e) {
            throw failure("update " + key, e);
        }
    }

    /**
     * Deletes the document only when it is still at {@code expectedRevision}.
     *
     * @return whether it was deleted (false: somebody else wrote it in between, or it is gone)
     */
    public boolean delete(String key, long expectedRevision) {
        try {
            kv.delete(key, expectedRevision);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return false;
            }
            throw failure("delete " + key, e);
        } catch (IOException e) {
            throw failure("delete " + key, e);
        }
    }

    /** The bucket's max age: how long a value lives without being rewritten; {@link Duration#ZERO} for ever. */
    public Duration maxAge() {
        return call("read the configuration of " + bucket, () -> {
            try {
                return kv.getStatus().getTtl();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        });
    }

    public void delete(String key) {
        call("delete " + key, () -> {
            kv.delete(key);
            return null;
        });
    }

    /** The keys matching {@code filter} ({@code >} and {@code *} wildcards, e.g. {@code pipeline.>}). */
    public List<String> keys(String filter) {
        return call("list " + filter, () -> {
            try {
                return kv.keys(filter);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        });
    }

    /** Every document whose key matches {@code filter}, skipping keys deleted while listing. */
    public <T> List<Versioned<T>> list(String filter, Class<T> type) {
        List<Versioned<T>> values = new ArrayList<>();
        for (String key : keys(filter)) {
            get(key, type).ifPresent(values::add);
        }
        return values;
    }

    /**
     * Calls {@code listener} with every current document matching {@code filter}, then with every change:
     * a value for a put, {@code null} for a delete. The listener runs on the NATS dispatcher thread: keep it
     * short (hand work to your own executor). A document that does not parse goes to {@code onInvalid}
     * instead, with the error naming bucket, key and fix.
     *
     * @return a handle whose {@code close()} stops watching
     */
    public <T> AutoCloseable watch(String filter, Class<T> type, BiConsumer<String, T> listener, BiConsumer<String, RuntimeException> onInvalid) {
        KeyValueWatcher watcher = new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
                if (entry.getOperation() != KeyValueOperation.PUT || entry.getValue() == null) {
                    listener.accept(entry.getKey(), null);
                    return;
                }
                T value;
                try {
                    value = decode(entry, type);
                } catch (RuntimeException e) {
                    onInvalid.accept(entry.getKey(), e);
                    return;
                }
                listener.accept(entry.getKey(), value);
            }

            @Override
            public void endOfData() {
                // Initial values delivered; changes follow. Callers that need the boundary list() first.
            }
        };
        NatsKeyValueWatchSubscription subscription = call("watch " + filter, () -> {
            try {
                return kv.watch(filter, watcher);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        });
        return subscription::unsubscribe;
    }

    private <T> T decode(KeyValueEntry entry, Class<T> type) {
        try {
            return ControlJson.fromBytes(entry.getValue(), type);
        } catch (IllegalArgumentException e) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "KV " + bucket + " key " + entry.getKey() + " holds an invalid document: " + e.getMessage(),
                    "rewrite it through the API, or delete the key with `nats kv del " + bucket + " " + entry.getKey() + "`", e);
        }
    }

    private interface KvCall<R> {
        R run() throws IOException, JetStreamApiException;
    }

    private <R> R call(String what, KvCall<R> call) {
        try {
            return call.run();
        } catch (IOException | JetStreamApiException e) {
            throw failure(what, e);
        }
    }

    private TidelineException failure(String what, Exception e) {
        return new TidelineException(TidelineException.Kind.RETRYABLE, "cannot " + what + " in KV bucket " + bucket + ": " + e.getMessage(),
                "check that NATS with JetStream is reachable", e);
    }
}
