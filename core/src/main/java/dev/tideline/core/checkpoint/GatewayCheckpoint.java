package dev.tideline.core.checkpoint;

import dev.tideline.core.Lsn;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.ResourceIds;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * How far a gateway has confirmed its replication slot: every change committed at or below
 * {@code confirmedLsn} is durably in the gateway's stream. Stored in {@link KvBuckets#CHECKPOINTS}
 * under {@link #kvKey()}.
 *
 * <p>JSON: {@code {"gateway_id":"gw1","confirmed_lsn":"16/B374D848","updated_at":"2024-05-01T12:00:00Z"}}
 */
public record GatewayCheckpoint(String gatewayId, Lsn confirmedLsn, Instant updatedAt) {

    private static final String WHAT = "gateway checkpoint";

    public GatewayCheckpoint {
        ResourceIds.requireValid("gateway id", gatewayId);
        Objects.requireNonNull(confirmedLsn, "confirmedLsn");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /** {@code gateway.<gateway>}. */
    public String kvKey() {
        return KvKeys.gatewayCheckpoint(gatewayId);
    }

    public String toJson() {
        return new FlatJson.Writer()
                .string("gateway_id", gatewayId)
                .string("confirmed_lsn", confirmedLsn.toString())
                .string("updated_at", updatedAt.toString())
                .toString();
    }

    /**
     * Reads {@link #toJson()}'s form; unknown fields are ignored so newer writers stay readable.
     *
     * @throws dev.tideline.core.TidelineException FATAL naming the field when the JSON is not a gateway checkpoint
     */
    public static GatewayCheckpoint fromJson(String json) {
        Map<String, Object> f = FlatJson.parse(json, WHAT);
        String gatewayId = FlatJson.string(f, "gateway_id", WHAT);
        Lsn lsn = FlatJson.lsn(f, "confirmed_lsn", WHAT);
        Instant updatedAt = FlatJson.instant(f, "updated_at", WHAT);
        return FlatJson.build(WHAT, () -> new GatewayCheckpoint(gatewayId, lsn, updatedAt));
    }
}
