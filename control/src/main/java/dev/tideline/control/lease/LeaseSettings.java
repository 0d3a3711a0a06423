package dev.tideline.control.lease;

import dev.tideline.core.naming.ResourceIds;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How a replica takes part in splitting work.
 *
 * @param memberId this replica's name, {@code [A-Za-z0-9_-]{1,64}}. Stable across restarts on purpose: a
 *                 restarted replica takes its own leases back at once instead of waiting for them to
 *                 expire. Two replicas of one service must never share it.
 * @param ttl      how long a lease outlives its holder's last renewal; only used by whoever creates the
 *                 bucket first (every replica then follows the bucket's max age)
 */
public record LeaseSettings(String memberId, Duration ttl) {

    /** Long enough to ride out a GC pause or a NATS reconnect, short enough for a quick fail-over. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(15);

    public LeaseSettings {
        ResourceIds.requireValid("lease member id", memberId);
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("tideline.lease.ttl must be >= 1s (was " + ttl + ")");
        }
    }

    /** {@code memberId} when given, else this host's name made id-safe; {@code ttl} when given, else 15 s. */
    public static LeaseSettings of(String memberId, Duration ttl) {
        return new LeaseSettings(memberId == null || memberId.isBlank() ? hostMemberId() : memberId,
                ttl == null ? DEFAULT_TTL : ttl);
    }

    /**
     * The host name (the pod name on Kubernetes), with characters outside {@code [A-Za-z0-9_-]} replaced by
     * {@code -} and cut to 64 characters.
     */
    static String hostMemberId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        String id = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        return id.length() > ResourceIds.MAX_LENGTH ? id.substring(0, ResourceIds.MAX_LENGTH) : id;
    }
}
