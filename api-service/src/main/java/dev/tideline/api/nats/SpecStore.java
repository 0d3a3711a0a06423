package dev.tideline.api.nats;

import dev.tideline.control.kv.Versioned;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.DatabaseCatalogSpec;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.ResourceIds;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Typed access to the specs api-service owns ({@code tideline-specs}) and the status the services write
 * ({@code tideline-status}). Creates go through KV create, so two concurrent creates of one name cannot
 * both win.
 */
@ApplicationScoped
public class SpecStore {

    private final ControlPlaneAccess access;

    SpecStore(ControlPlaneAccess access) {
        this.access = access;
    }

    /** Stores {@code value} under {@code key} unless the key exists; returns whether it was stored. */
    public boolean create(String key, Object value) {
        return access.specs().create(key, value).isPresent();
    }

    /** Replaces the value under {@code key} if it is still at {@code revision}; returns whether it was replaced. */
    public boolean update(String key, Object value, long revision) {
        return access.specs().update(key, value, revision).isPresent();
    }

    public void delete(String key) {
        access.specs().delete(key);
    }

    public Optional<ConnectionSpec> connection(String name) {
        return access.specs().value(KvKeys.connection(name), ConnectionSpec.class);
    }

    /** The connection with its KV revision, for a compare-and-set update. */
    public Optional<Versioned<ConnectionSpec>> connectionEntry(String name) {
        return access.specs().get(KvKeys.connection(name), ConnectionSpec.class);
    }

    public List<ConnectionSpec> connections() {
        return values(access.specs().list("connection.>", ConnectionSpec.class)).stream()
                .sorted(Comparator.comparing(ConnectionSpec::name)).toList();
    }

    /** The pipeline with {@code id}; empty also for ids that cannot be pipeline ids. */
    public Optional<PipelineSpec> pipeline(String id) {
        if (!ResourceIds.isValid(id)) {
            return Optional.empty();
        }
        return access.specs().value(KvKeys.pipeline(id), PipelineSpec.class);
    }

    /** The pipeline with its KV revision, for a compare-and-set update. */
    public Optional<Versioned<PipelineSpec>> pipelineEntry(String id) {
        if (!ResourceIds.isValid(id)) {
            return Optional.empty();
        }
        return access.specs().get(KvKeys.pipeline(id), PipelineSpec.class);
    }

    public List<PipelineSpec> pipelines() {
        return values(access.specs().list("pipeline.>", PipelineSpec.class)).stream()
                .sorted(Comparator.comparingLong(PipelineSpec::createdAtMillis).thenComparing(PipelineSpec::id)).toList();
    }

    public Optional<DatabaseInstanceSpec> instance(String name) {
        return access.specs().value(KvKeys.databaseInstance(name), DatabaseInstanceSpec.class);
    }

    public List<DatabaseInstanceSpec> instances() {
        return values(access.specs().list("instance.>", DatabaseInstanceSpec.class)).stream()
                .sorted(Comparator.comparing(DatabaseInstanceSpec::name)).toList();
    }

    public Optional<DatabaseCatalogSpec> catalog(String name) {
        return access.specs().value(KvKeys.databaseCatalog(name), DatabaseCatalogSpec.class);
    }

    public List<DatabaseCatalogSpec> catalogs() {
        return values(access.specs().list("catalog.>", DatabaseCatalogSpec.class)).stream()
                .sorted(Comparator.comparing(DatabaseCatalogSpec::name)).toList();
    }

    public Optional<SyncedTableSpec> syncedTable(String name) {
        return access.specs().value(KvKeys.syncedTable(name), SyncedTableSpec.class);
    }

    public List<SyncedTableSpec> syncedTables() {
        return values(access.specs().list("synced.>", SyncedTableSpec.class)).stream()
                .sorted(Comparator.comparing(SyncedTableSpec::name)).toList();
    }

    /** The synced table whose pipeline is {@code pipelineId}, if any. */
    public Optional<SyncedTableSpec> syncedTableByPipeline(String pipelineId) {
        return syncedTables().stream().filter(s -> pipelineId.equals(s.pipelineId())).findFirst();
    }

    public Optional<PipelineStatus> pipelineStatus(String id) {
        return access.status().value(KvKeys.pipeline(id), PipelineStatus.class);
    }

    /** The per-table status entries of a pipeline ({@code table.<id>.>}). */
    public List<TableStatus> tableStatuses(String pipelineId) {
        return values(access.status().list("table." + ResourceIds.requireValid("pipeline id", pipelineId) + ".>", TableStatus.class));
    }

    public Optional<SyncedTableStatus> syncedTableStatus(String name) {
        return access.status().value(KvKeys.syncedTable(name), SyncedTableStatus.class);
    }

    private static <T> List<T> values(List<Versioned<T>> versioned) {
        return versioned.stream().map(Versioned::value).toList();
    }
}
