package dev.tideline.gateway.capture;

import java.util.Properties;

/**
 * The leading arguments {@link CaptureProcess} and {@link SnapshotProcess} share: JDBC URL, user, password ("" for
 * none), NATS URL, gateway id (also the prefix of the slot {@code <id>_slot} and publication {@code <id>_pub}). Each
 * process's own arguments follow, from index 5.
 *
 * @param credentials {@code user}, and {@code password} unless it was empty
 */
record ProcessArguments(String jdbcUrl, Properties credentials, String natsUrl, String id) {

    static ProcessArguments parse(String[] args) {
        Properties credentials = new Properties();
        credentials.setProperty("user", args[1]);
        if (!args[2].isEmpty()) {
            credentials.setProperty("password", args[2]);
        }
        return new ProcessArguments(args[0], credentials, args[3], args[4]);
    }
}
