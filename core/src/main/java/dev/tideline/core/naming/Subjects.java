package dev.tideline.core.naming;

import dev.tideline.core.TableId;

/**
 * NATS subjects of Tideline. Ids ({@code gatewayId}, {@code pipelineId}) are validated with
 * {@link ResourceIds}; names (schemas, tables, synced tables) are encoded with
 * {@link IdentifierTokens}, so every name maps to exactly one token and back.
 *
 * <table>
 *   <caption>Subjects</caption>
 *   <tr><td>{@code tideline.cdc.<gateway>.<schema>.<table>}</td><td>change batches of one source table (all kinds but MESSAGE)</td></tr>
 *   <tr><td>{@code tideline.cdc.<gateway>._messages}</td><td>logical decoding messages ({@code pg_logical_emit_message})</td></tr>
 *   <tr><td>{@code tideline.events.pipeline.<pipeline>.state}</td><td>a pipeline changed state</td></tr>
 *   <tr><td>{@code tideline.events.table.<catalog>.<schema>.<table>.committed}</td><td>apply committed a Delta version of a destination table</td></tr>
 *   <tr><td>{@code tideline.events.table.<catalog>.<schema>.<table>.failed}</td><td>apply stopped applying a destination table (reason, remedy)</td></tr>
 *   <tr><td>{@code tideline.events.synced.<name>.state} / {@code .refreshed}</td><td>a synced table changed state / finished a refresh</td></tr>
 *   <tr><td>{@code tideline.control.pipeline.<pipeline>.update}</td><td>request: run a pipeline update (optionally a full refresh)</td></tr>
 *   <tr><td>{@code tideline.control.synced.<name>.refresh}</td><td>request: refresh a synced table</td></tr>
 * </table>
 * The {@code _messages} subject has one token fewer than a table subject, so no table name can
 * collide with it.
 */
public final class Subjects {

    public static final String CDC_ROOT = "tideline.cdc";
    public static final String EVENTS_ROOT = "tideline.events";
    public static final String CONTROL_ROOT = "tideline.control";
    /** The last token of the logical-message subject of a gateway. */
    public static final String MESSAGES_TOKEN = "_messages";

    /** Every event subject: {@code tideline.events.>}. */
    public static final String ALL_EVENTS = EVENTS_ROOT + ".>";
    /** Every control subject: {@code tideline.control.>}. */
    public static final String ALL_CONTROL = CONTROL_ROOT + ".>";

    private Subjects() {
    }

    /** {@code tideline.cdc.<gateway>.<schema>.<table>}: where the batches of one source table go. */
    public static String changes(String gatewayId, TableId table) {
        return CDC_ROOT + '.' + gateway(gatewayId) + '.' + IdentifierTokens.encode(table.schema()) + '.'
                + IdentifierTokens.encode(table.name());
    }

    /** {@code tideline.cdc.<gateway>._messages}: where logical decoding messages go. */
    public static String messages(String gatewayId) {
        return CDC_ROOT + '.' + gateway(gatewayId) + '.' + MESSAGES_TOKEN;
    }

    /** {@code tideline.cdc.<gateway>.>}: everything one gateway publishes; the subject of its stream. */
    public static String allChanges(String gatewayId) {
        return CDC_ROOT + '.' + gateway(gatewayId) + ".>";
    }

    /** {@code tideline.cdc.<gateway>.*.*}: the batches of every table of a gateway, without logical messages. */
    public static String allTables(String gatewayId) {
        return CDC_ROOT + '.' + gateway(gatewayId) + ".*.*";
    }

    /**
     * The source table a change subject is about.
     *
     * @throws IllegalArgumentException when {@code subject} is not a table subject of {@link #changes}
     */
    public static TableId tableOf(String subject) {
        String[] tokens = subject.split("\\.", -1);
        if (tokens.length != 5 || !tokens[0].equals("tideline") || !tokens[1].equals("cdc") || !ResourceIds.isValid(tokens[2])) {
            throw new IllegalArgumentException("'" + subject + "' is not a change subject; expected tideline.cdc.<gateway>.<schema>.<table>");
        }
        return TableId.of(IdentifierTokens.decode(tokens[3]), IdentifierTokens.decode(tokens[4]));
    }

    /** The gateway id of a subject made by {@link #changes} or {@link #messages}. */
    public static String gatewayOf(String subject) {
        String[] tokens = subject.split("\\.", -1);
        if (tokens.length < 4 || !tokens[0].equals("tideline") || !tokens[1].equals("cdc") || !ResourceIds.isValid(tokens[2])) {
            throw new IllegalArgumentException("'" + subject + "' is not a change subject; expected tideline.cdc.<gateway>.…");
        }
        return tokens[2];
    }

    /** {@code tideline.events.pipeline.<id>.state}. */
    public static String pipelineState(String pipelineId) {
        return EVENTS_ROOT + ".pipeline." + ResourceIds.requireValid("pipeline id", pipelineId) + ".state";
    }

    /**
     * {@code tideline.events.table.<catalog>.<schema>.<table>.committed}: apply-service committed a
     * new version of this destination Delta table (what synced tables listen to).
     */
    public static String tableCommitted(String catalog, String schema, String table) {
        return EVENTS_ROOT + ".table." + IdentifierTokens.encode(catalog) + '.' + IdentifierTokens.encode(schema) + '.'
                + IdentifierTokens.encode(table) + ".committed";
    }

    /**
     * {@code tideline.events.table.<catalog>.<schema>.<table>.failed}: apply-service stopped applying changes
     * to this destination Delta table; the body names the reason and the remedy.
     */
    public static String tableFailed(String catalog, String schema, String table) {
        return EVENTS_ROOT + ".table." + IdentifierTokens.encode(catalog) + '.' + IdentifierTokens.encode(schema) + '.'
                + IdentifierTokens.encode(table) + ".failed";
    }

    /** {@code tideline.events.synced.<name>.state}; {@code name} is the full synced table name, one token. */
    public static String syncedTableState(String syncedTableName) {
        return EVENTS_ROOT + ".synced." + IdentifierTokens.encode(syncedTableName) + ".state";
    }

    /** {@code tideline.events.synced.<name>.refreshed}. */
    public static String syncedTableRefreshed(String syncedTableName) {
        return EVENTS_ROOT + ".synced." + IdentifierTokens.encode(syncedTableName) + ".refreshed";
    }

    /** {@code tideline.control.pipeline.<id>.update}: start an update of a pipeline (the REST call's twin). */
    public static String pipelineUpdate(String pipelineId) {
        return CONTROL_ROOT + ".pipeline." + ResourceIds.requireValid("pipeline id", pipelineId) + ".update";
    }

    /** {@code tideline.control.synced.<name>.refresh}: refresh a synced table now. */
    public static String syncedTableRefresh(String syncedTableName) {
        return CONTROL_ROOT + ".synced." + IdentifierTokens.encode(syncedTableName) + ".refresh";
    }

    private static String gateway(String gatewayId) {
        return ResourceIds.requireValid("gateway id", gatewayId);
    }
}
