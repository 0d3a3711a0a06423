package dev.tideline.gateway.snapshot;

import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;

/**
 * The text form of which chunks of a plan are done, in {@link SnapshotProgressStore}'s progress
 * record. Two forms, and the shorter one is written: {@code r} and the runs of done chunks
 * ({@code r0-1203,1205,1207-1210}, inclusive) — a few bytes while chunks finish about in order,
 * as they do — or {@code b} and a Base64 bitset (bit {@code i} = chunk {@code i}), never more than
 * {@code ceil(chunks / 6)} bytes whatever the order. So the record holding it stays small: at most
 * about 167 KB at {@link SnapshotProgress#MAX_CHUNKS}. Pure.
 */
final class DoneChunks {

    private DoneChunks() {
    }

    static String encode(List<Boolean> done) {
        StringBuilder runs = new StringBuilder("r");
        BitSet bits = new BitSet(done.size());
        int i = 0;
        while (i < done.size()) {
            if (!done.get(i)) {
                i++;
                continue;
            }
            int start = i;
            while (i < done.size() && done.get(i)) {
                bits.set(i);
                i++;
            }
            if (runs.length() > 1) {
                runs.append(',');
            }
            runs.append(start);
            if (i - 1 > start) {
                runs.append('-').append(i - 1);
            }
        }
        String bitset = "b" + Base64.getEncoder().withoutPadding().encodeToString(bits.toByteArray());
        return bitset.length() < runs.length() ? bitset : runs.toString();
    }

    /**
     * @throws IllegalArgumentException for text that is neither form, or names a chunk not below {@code chunks}
     */
    static List<Boolean> decode(String text, int chunks) {
        BitSet bits = new BitSet(chunks);
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("no done chunks");
        }
        if (text.charAt(0) == 'b') {
            bits = BitSet.valueOf(Base64.getDecoder().decode(text.substring(1)));
        } else if (text.charAt(0) == 'r') {
            for (String run : text.substring(1).split(",")) {
                if (run.isEmpty()) {
                    continue;
                }
                int dash = run.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? run : run.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(run.substring(dash + 1));
                if (from < 0 || to < from) {
                    throw new IllegalArgumentException("bad run of done chunks: " + run);
                }
                bits.set(from, to + 1);
            }
        } else {
            throw new IllegalArgumentException("done chunks start with neither 'r' nor 'b'");
        }
        if (bits.length() > chunks) {
            throw new IllegalArgumentException("chunk " + (bits.length() - 1) + " is done, but the plan has " + chunks + " chunks");
        }
        List<Boolean> out = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            out.add(bits.get(i));
        }
        return out;
    }
}
