package dev.tideline.core.checkpoint;

import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * The value under {@link KvKeys#applyStreamPosition} in {@link KvBuckets#CHECKPOINTS}: the staging-stream
 * sequence up to which an ingestion pipeline has applied everything, as decimal text. apply-service writes
 * it; the gateway purges its stream only below it, so both must read it the same way.
 */
public final class ApplyStreamPosition {

    private ApplyStreamPosition() {
    }

    public static byte[] encode(long sequence) {
        return Long.toString(sequence).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The recorded sequence, or empty when nothing is recorded.
     *
     * @throws NumberFormatException when the value is not a decimal sequence
     */
    public static OptionalLong decode(byte[] value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(new String(value, StandardCharsets.UTF_8).strip()));
    }
}
