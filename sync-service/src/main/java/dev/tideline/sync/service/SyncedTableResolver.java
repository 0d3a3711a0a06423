package dev.tideline.sync.service;

import dev.tideline.control.kv.JsonKv;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.postgres.PostgresTarget;
import java.util.Optional;

/**
 * Turns a {@link SyncedTableSpec} from KV into what the engine runs: the source table's location in
 * the warehouse, the target table (names checked against the seed's {@code [A-Za-z0-9_]+} rule) and
 * the target Postgres reached through the spec's connection, its password opened with
 * {@link SecretBox}.
 */
final class SyncedTableResolver {

    private final JsonKv specs;
    private final SecretBox secrets;
    private final String warehouse;

    SyncedTableResolver(JsonKv specs, SecretBox secrets, String warehouse) {
        this.specs = specs;
        this.secrets = secrets;
        this.warehouse = warehouse;
    }

    /**
     * @throws TidelineException NEEDS_OPERATOR naming the field at fault (bad names, a missing
     *                           connection, an undecryptable password, a malformed source name)
     */
    ResolvedSyncedTable resolve(SyncedTableSpec spec) {
        SyncedTableSpec.Definition d = spec.spec();
        if (d == null || spec.target() == null) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "synced table " + spec.name() + " has no spec or target",
                    "re-create the synced table through the API");
        }
        String[] source = d.sourceTableFullName() == null ? new String[0] : d.sourceTableFullName().split("\\.", -1);
        if (source.length != 3 || source[0].isEmpty() || source[1].isEmpty() || source[2].isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "spec.source_table_full_name '" + d.sourceTableFullName() + "' of synced table " + spec.name()
                            + " is not a three-part name catalog.schema.table",
                    "set spec.source_table_full_name to the Delta table's catalog.schema.table");
        }
        SyncedTableSpec.Target t = spec.target();
        TargetTable target = new TargetTable(t.database(), t.schema(), t.table());
        SyncedTableDefinition def = new SyncedTableDefinition(spec.name(), d.sourceTableFullName(),
                TableLocations.of(warehouse, source[0], source[1], source[2]), target, d.primaryKeyColumns(),
                Optional.ofNullable(d.timeseriesKey()).filter(s -> !s.isBlank()),
                SchedulingPolicy.valueOf(d.schedulingPolicy() == null ? "TRIGGERED" : d.schedulingPolicy().name()),
                NullBytePolicy.valueOf(d.invalidCharactersOrDefault().name()), d.createsMissingObjects());
        ConnectionSpec connection = specs.value(KvKeys.connection(t.connectionName()), ConnectionSpec.class)
                .orElseThrow(() -> new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "connection '" + t.connectionName() + "' of synced table " + spec.name() + " does not exist",
                        "create the connection (POST /api/2.1/unity-catalog/connections) or re-create the synced table"));
        String password = connection.encryptedPassword() == null ? null : secrets.open(connection.encryptedPassword(), connection.name());
        PostgresTarget pg = new PostgresTarget(connection::jdbcUrl, connection.user(), password, t.database());
        return new ResolvedSyncedTable(spec, def, pg);
    }
}
