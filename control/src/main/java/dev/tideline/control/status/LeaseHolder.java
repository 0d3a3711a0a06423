package dev.tideline.control.status;

/**
 * Who holds a key of {@code tideline-leases}: a unit of work's lease ({@code <service>.lease.<unit>}) or a
 * replica's presence ({@code <service>.member.<member>}). The lease's existence is the truth; this value
 * only says who, so an operator (or api-service) can see which replica runs what.
 *
 * @param member      the replica ({@code tideline.lease.member-id}, by default the host name)
 * @param service     {@code gateway}, {@code apply} or {@code sync}
 * @param unit        the pipeline id or synced table name, or null on a member key
 * @param sinceMillis when this replica took the lease (or started)
 */
public record LeaseHolder(String member, String service, String unit, long sinceMillis) {
}
