package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.naming.ResourceIds;
import java.util.Map;

/**
 * Names of the NATS headers on every Tideline message, and the {@code Nats-Msg-Id} rule.
 *
 * <p>Headers repeat what a consumer needs to route, filter or skip a message without decoding the
 * body; the body stays authoritative. LSNs are in Postgres' {@code X/X} form, numbers in decimal,
 * flags {@code true}/{@code false}, tables as {@code <schema-token>.<table-token>}
 * ({@link dev.tideline.core.naming.IdentifierTokens}).
 */
public final class WireHeaders {

    /** Format version of the body, {@code "1"}. Also byte 2 of the body. */
    public static final String FORMAT = "Tideline-Format";
    /** A {@link BatchKind} name. */
    public static final String KIND = "Tideline-Kind";
    /** {@code <schema-token>.<table-token>} of the source table; absent on MESSAGE. */
    public static final String TABLE = "Tideline-Table";
    /** Commit LSN of the source transaction (ROWS, TRUNCATE, SCHEMA, MESSAGE). */
    public static final String COMMIT_LSN = "Tideline-Commit-Lsn";
    /** Ordinal of the first change in the message (ROWS, TRUNCATE, SCHEMA, MESSAGE). */
    public static final String ORDINAL = "Tideline-Ordinal";
    /** Ordinal of the last change in the message (ROWS). */
    public static final String LAST_ORDINAL = "Tideline-Last-Ordinal";
    /** Number of this message among its table's messages in the transaction, from 0 (ROWS, TRUNCATE). */
    public static final String TXN_SEQ = "Tideline-Txn-Seq";
    /** {@code true} on the table's last message of the transaction (ROWS, TRUNCATE). */
    public static final String TXN_LAST = "Tideline-Txn-Last";
    /** Rows in the message (ROWS, SNAPSHOT), or in the whole snapshot (SNAPSHOT_DONE). */
    public static final String ROW_COUNT = "Tideline-Row-Count";
    /** Snapshot id (SNAPSHOT, SNAPSHOT_BEGIN, SNAPSHOT_DONE). */
    public static final String SNAPSHOT_ID = "Tideline-Snapshot-Id";
    /** LSN the snapshot's rows are valid at (SNAPSHOT, SNAPSHOT_BEGIN, SNAPSHOT_DONE). */
    public static final String SNAPSHOT_LSN = "Tideline-Snapshot-Lsn";
    /** Chunk number (SNAPSHOT), or the chunk count (SNAPSHOT_DONE). */
    public static final String CHUNK = "Tideline-Chunk";
    /** Batch number within the chunk (SNAPSHOT). */
    public static final String BATCH = "Tideline-Batch";
    /** {@code true} on a chunk's last batch (SNAPSHOT). */
    public static final String CHUNK_LAST = "Tideline-Chunk-Last";
    /** JetStream's de-duplication header; see {@link #natsMsgId}. */
    public static final String NATS_MSG_ID = "Nats-Msg-Id";

    private WireHeaders() {
    }

    /**
     * The {@code Nats-Msg-Id} of a message: a pure function of the gateway id and the message's
     * Tideline headers, so a gateway that re-publishes after a crash produces the same ids and
     * JetStream drops the copies within the stream's duplicate window.
     *
     * <pre>
     * ROWS, TRUNCATE, SCHEMA:        &lt;gateway&gt;:&lt;KIND&gt;:&lt;table&gt;:&lt;commit LSN, 16 hex digits&gt;:&lt;first ordinal&gt;
     * MESSAGE:                       &lt;gateway&gt;:MESSAGE:&lt;commit LSN, 16 hex digits&gt;:&lt;ordinal&gt;
     * SNAPSHOT:                      &lt;gateway&gt;:SNAPSHOT:&lt;table&gt;:&lt;snapshot id&gt;:&lt;chunk&gt;:&lt;batch&gt;
     * SNAPSHOT_BEGIN, SNAPSHOT_DONE: &lt;gateway&gt;:&lt;KIND&gt;:&lt;table&gt;:&lt;snapshot id&gt;
     * </pre>
     * e.g. {@code gw1:ROWS:public.orders:0000001600B374D8:42}.
     *
     * <p>Requirement on the publisher: for a given transaction (or snapshot chunk) and configuration,
     * batch boundaries must be deterministic, so that a re-publish cuts the same batches and yields
     * the same ids. Cutting by encoded size (as {@link RowsBatchBuilder} does) satisfies this; cutting
     * by time does not. When boundaries do differ (the batch size setting changed across a restart),
     * ids differ, the copies are stored, and consumers drop them by ordering key — apply-service
     * always does.
     *
     * @throws IllegalArgumentException when a header the kind needs is missing or malformed
     */
    public static String natsMsgId(String gatewayId, Map<String, String> headers) {
        ResourceIds.requireValid("gateway id", gatewayId);
        String kind = required(headers, KIND);
        StringBuilder id = new StringBuilder(96).append(gatewayId).append(':').append(kind).append(':');
        switch (kind) {
            case "ROWS", "TRUNCATE", "SCHEMA" -> id.append(required(headers, TABLE)).append(':')
                    .append(Lsn.parse(required(headers, COMMIT_LSN)).toSortableHex()).append(':')
                    .append(Long.parseLong(required(headers, ORDINAL)));
            case "MESSAGE" -> id.append(Lsn.parse(required(headers, COMMIT_LSN)).toSortableHex()).append(':')
                    .append(Long.parseLong(required(headers, ORDINAL)));
            case "SNAPSHOT" -> id.append(required(headers, TABLE)).append(':').append(required(headers, SNAPSHOT_ID)).append(':')
                    .append(Integer.parseInt(required(headers, CHUNK))).append(':').append(Integer.parseInt(required(headers, BATCH)));
            case "SNAPSHOT_BEGIN", "SNAPSHOT_DONE" -> id.append(required(headers, TABLE)).append(':')
                    .append(required(headers, SNAPSHOT_ID));
            default -> throw new IllegalArgumentException("unknown " + KIND + " '" + kind + "'");
        }
        return id.toString();
    }

    private static String required(Map<String, String> headers, String name) {
        String value = headers.get(name);
        if (value == null) {
            throw new IllegalArgumentException("header " + name + " is missing");
        }
        return value;
    }
}
