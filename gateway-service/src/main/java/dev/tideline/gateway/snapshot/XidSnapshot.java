package dev.tideline.gateway.snapshot;

import java.util.Arrays;

/**
 * The visibility rule of one Postgres MVCC snapshot, from {@code pg_current_snapshot()}
 * ({@code xmin:xmax:xip,…}): which transactions' effects a query running in that snapshot sees.
 *
 * <p>pgoutput identifies transactions by their 32-bit xid while {@code pg_current_snapshot()} gives
 * 64-bit epoch-extended ids; both are compared modulo 2^32 the way Postgres does
 * ({@code TransactionIdPrecedes}), which is exact as long as the snapshot is younger than ~2 billion
 * transactions — far longer than any chunk read lives.
 *
 * <p>A committed transaction is visible when its xid precedes {@code xmax} and is not in the
 * in-progress list. (Aborted transactions never reach the change stream, so "committed" holds for
 * every xid this is asked about.) Immutable.
 */
public final class XidSnapshot {

    private final int xmin;
    private final int xmax;
    private final int[] inProgress;
    private final String text;

    private XidSnapshot(int xmin, int xmax, int[] inProgress, String text) {
        this.xmin = xmin;
        this.xmax = xmax;
        this.inProgress = inProgress;
        this.text = text;
    }

    /** Parses the text form of {@code pg_snapshot} / {@code txid_snapshot}: {@code xmin:xmax:xip1,xip2}. */
    public static XidSnapshot parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a pg_snapshot: '" + text + "'");
        }
        int[] xip = parts[2].isEmpty() ? new int[0]
                : Arrays.stream(parts[2].split(",")).mapToInt(s -> (int) Long.parseLong(s.trim())).toArray();
        Arrays.sort(xip);
        return new XidSnapshot((int) Long.parseLong(parts[0]), (int) Long.parseLong(parts[1]), xip, text);
    }

    /** Whether the effects of the committed transaction {@code xid} (32-bit, as pgoutput sends it) are visible. */
    public boolean isVisible(long xid) {
        int x = (int) xid;
        if (precedes(x, xmin)) {
            return true;
        }
        if (!precedes(x, xmax)) {
            return false;
        }
        return Arrays.binarySearch(inProgress, x) < 0;
    }

    private static boolean precedes(int a, int b) {
        return a - b < 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
