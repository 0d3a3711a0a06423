package dev.tideline.gateway.run;

import dev.tideline.core.TableId;
import dev.tideline.core.naming.ResourceIds;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one running gateway needs, resolved from the control plane (a gateway pipeline, its
 * connection with the password decrypted, and the ingestion pipelines naming it) or from the
 * standalone configuration. Two specs are equal when the gateway can keep running unchanged.
 *
 * @param gatewayId          the gateway pipeline's id (names its stream, checkpoints and status)
 * @param jdbcUrl            pgjdbc URL of the source database, TLS options ({@code sslmode}, {@code sslrootcert}) included
 * @param user               the role to connect as
 * @param password           its password (never logged: {@link #toString()} leaves it out)
 * @param slot               the logical replication slot
 * @param publication        the publication
 * @param tables             tables requested one by one
 * @param schemas            schemas requested whole: every table of the publication in them
 * @param createSlot         create the slot (with an exported snapshot) when it is missing and the gateway never streamed
 * @param destinations       for each ingestion pipeline, its destination table names ({@code table} and {@code schema.table})
 *                           mapped to source tables, to resolve a {@code full_refresh_selection}
 */
public record GatewayPipelineSpec(String gatewayId, String jdbcUrl, String user, String password, String slot, String publication,
                                  List<TableId> tables, Set<String> schemas, boolean createSlot,
                                  Map<String, Map<String, TableId>> destinations) {

    public GatewayPipelineSpec {
        ResourceIds.requireValid("gateway id", gatewayId);
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(publication, "publication");
        tables = List.copyOf(tables);
        schemas = Set.copyOf(schemas);
        destinations = destinations == null ? Map.of() : Map.copyOf(destinations);
    }

    /** Whether the pipeline is every table of the publication (no table or schema named). */
    public boolean wholePublication() {
        return tables.isEmpty() && schemas.isEmpty();
    }

    @Override
    public String toString() {
        return "gateway " + gatewayId + " (" + jdbcUrl + " as " + user + ", slot " + slot + ", publication " + publication + ", "
                + (wholePublication() ? "all published tables" : tables.size() + " tables, schemas " + schemas) + ")";
    }
}
