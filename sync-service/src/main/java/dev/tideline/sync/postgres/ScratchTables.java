package dev.tideline.sync.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names of the scratch tables snapshots load into ({@code tideline.load_<hash>}): one per synced
 * table, derived from its name, so a crashed attempt's leftovers are found and dropped by the next.
 */
final class ScratchTables {

    private ScratchTables() {
    }

    static String name(String syncedTableName) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(syncedTableName.getBytes(StandardCharsets.UTF_8));
            return "load_" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
