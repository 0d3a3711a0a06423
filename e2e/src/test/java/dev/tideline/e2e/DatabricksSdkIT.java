package dev.tideline.e2e;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.DatabricksConfig;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.core.error.platform.PermissionDenied;
import com.databricks.sdk.core.error.platform.ResourceAlreadyExists;
import com.databricks.sdk.core.error.platform.ResourceDoesNotExist;
import com.databricks.sdk.core.error.platform.Unauthenticated;
import com.databricks.sdk.service.catalog.CatalogInfo;
import com.databricks.sdk.service.catalog.ColumnInfo;
import com.databricks.sdk.service.catalog.ConnectionInfo;
import com.databricks.sdk.service.catalog.ConnectionType;
import com.databricks.sdk.service.catalog.CreateConnection;
import com.databricks.sdk.service.catalog.DataSourceFormat;
import com.databricks.sdk.service.catalog.ListCatalogsRequest;
import com.databricks.sdk.service.catalog.ListConnectionsRequest;
import com.databricks.sdk.service.catalog.ListSchemasRequest;
import com.databricks.sdk.service.catalog.ListTablesRequest;
import com.databricks.sdk.service.catalog.SchemaInfo;
import com.databricks.sdk.service.catalog.TableInfo;
import com.databricks.sdk.service.catalog.UpdateConnection;
import com.databricks.sdk.service.database.CreateDatabaseCatalogRequest;
import com.databricks.sdk.service.database.CreateDatabaseInstanceRequest;
import com.databricks.sdk.service.database.CreateSyncedDatabaseTableRequest;
import com.databricks.sdk.service.database.DatabaseCatalog;
import com.databricks.sdk.service.database.DatabaseInstance;
import com.databricks.sdk.service.database.DatabaseInstanceState;
import com.databricks.sdk.service.database.ListDatabaseInstancesRequest;
import com.databricks.sdk.service.database.SyncedDatabaseTable;
import com.databricks.sdk.service.database.SyncedTableSchedulingPolicy;
import com.databricks.sdk.service.database.SyncedTableSpec;
import com.databricks.sdk.service.database.UpdateDatabaseInstanceRequest;
import com.databricks.sdk.service.pipelines.CreatePipeline;
import com.databricks.sdk.service.pipelines.EditPipeline;
import com.databricks.sdk.service.pipelines.GetPipelineResponse;
import com.databricks.sdk.service.pipelines.IngestionConfig;
import com.databricks.sdk.service.pipelines.IngestionGatewayPipelineDefinition;
import com.databricks.sdk.service.pipelines.IngestionPipelineDefinition;
import com.databricks.sdk.service.pipelines.ListPipelinesRequest;
import com.databricks.sdk.service.pipelines.ListUpdatesRequest;
import com.databricks.sdk.service.pipelines.PipelineState;
import com.databricks.sdk.service.pipelines.PipelineStateInfo;
import com.databricks.sdk.service.pipelines.PostgresCatalogConfig;
import com.databricks.sdk.service.pipelines.PostgresSlotConfig;
import com.databricks.sdk.service.pipelines.SourceCatalogConfig;
import com.databricks.sdk.service.pipelines.SourceConfig;
import com.databricks.sdk.service.pipelines.StartUpdate;
import com.databricks.sdk.service.pipelines.TableSpec;
import com.databricks.sdk.service.pipelines.UpdateInfo;
import com.databricks.sdk.service.pipelines.UpdateInfoState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import com.sun.net.httpserver.HttpServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The user story driven by the official Databricks SDK for Java, configured as a Databricks user configures it
 * for a workspace — host and token, nothing Tideline-specific — against the stack {@code deploy/local/up.sh}
 * starts: UC connections, an ingestion gateway and pipeline with a slot config, UC tables, a Lakebase instance
 * with a database catalog and a synced table refreshed through the pipelines API, and the typed errors. Only
 * typed SDK calls talk to Tideline; SQL is used only on the source and target Postgres, as a user would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabricksSdkIT {

    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final String ROWS = "SELECT id, name, qty FROM %s ORDER BY id";
    private static final String INSTANCE = "sdk-instance";
    private static final String DATABASE_CATALOG = "sdk_pg";

    private LocalStack stack;
    private SdkWarnings sdkWarnings;
    private WorkspaceClient w;
    private String host;
    private String shopUrl;
    private String targetUrl;
    private String gatewayId;
    private String ingestionId;
    private String syncedPipelineId;

    @BeforeAll
    void startTheStackAndTheSdk() throws Exception {
        sdkWarnings = SdkWarnings.install();
        stack = LocalStack.up("DatabricksSdkIT");
        host = stack.get("TIDELINE_API_URL");
        w = new WorkspaceClient(new DatabricksConfig().setHost(host).setToken(stack.get("TIDELINE_API_TOKEN")));
        shopUrl = stack.get("TIDELINE_SOURCE_PG_URL").replace("/postgres?", "/shop?");
        targetUrl = stack.get("TIDELINE_TARGET_PG_URL").replace("/postgres?", "/sdk_db?");
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void theSdkStartsWithoutWarningsReadingTidelinesDiscoveryDocumentsAndAuthenticatesWithItsToken() throws Exception {
        assertEquals(List.of(), sdkWarnings.messages(), "what the SDK warned about while the client was created");
        // Host metadata was read (a failed read leaves the discovery URL unset and logs a warning).
        assertEquals(host + "/oidc/.well-known/oauth-authorization-server", w.config().getDiscoveryUrl());
        assertNotNull(w.config().getDatabricksOidcEndpoints(), "the OAuth metadata answers 200");
        assertEquals("pat", w.config().getAuthType());

        // The check above can fail: a host that refuses the probes with 401, as Tideline did, makes the SDK warn.
        HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refusing.createContext("/", exchange -> {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
        });
        refusing.start();
        try {
            new WorkspaceClient(new DatabricksConfig().setHost("http://127.0.0.1:" + refusing.getAddress().getPort()).setToken("t"));
            assertFalse(sdkWarnings.messages().isEmpty(), "a refused discovery is warned about");
        } finally {
            refusing.stop(0);
        }
    }

    @Test
    @Order(2)
    void prepareTheSource() throws Exception {
        Sql.run(stack.get("TIDELINE_SOURCE_PG_URL"), "CREATE DATABASE shop");
        Sql.run(shopUrl,
                "CREATE TABLE orders(id INT PRIMARY KEY, name TEXT NOT NULL, qty INT)",
                "INSERT INTO orders SELECT i, 'order-' || i, i * 10 FROM generate_series(1, 25) s(i)",
                "CREATE TABLE customers(id INT PRIMARY KEY, name TEXT NOT NULL, qty INT)",
                "INSERT INTO customers SELECT i, 'customer-' || i, i FROM generate_series(1, 7) s(i)",
                "CREATE ROLE sdk_replication WITH LOGIN REPLICATION PASSWORD 'Sdk-Replic4tion!'",
                "GRANT USAGE ON SCHEMA public TO sdk_replication",
                "GRANT SELECT ON ALL TABLES IN SCHEMA public TO sdk_replication",
                "CREATE PUBLICATION sdk_publication FOR TABLE orders",
                "SELECT pg_create_logical_replication_slot('sdk_slot', 'pgoutput')");
    }

    @Test
    @Order(3)
    void connectionsAreCreatedReadListedUpdatedAndDeleted() throws Exception {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        ConnectionInfo created = w.connections().create(new CreateConnection().setName("sdk_source").setConnectionType(ConnectionType.POSTGRESQL)
                .setOptions(Map.of("host", source.getHost(), "port", Integer.toString(source.getPort()), "user", "sdk_replication",
                        "password", "Sdk-Replic4tion!")));
        assertEquals(ConnectionType.POSTGRESQL, created.getConnectionType());
        ConnectionInfo read = w.connections().get("sdk_source");
        assertEquals("sdk_replication", read.getOptions().get("user"));
        assertFalse(read.getOptions().containsKey("password"), "the password is never returned");

        // Rotate the password: the source first, then the connection.
        Sql.run(stack.get("TIDELINE_SOURCE_PG_URL"), "ALTER ROLE sdk_replication PASSWORD 'R0tated-Sdk!'");
        ConnectionInfo updated = w.connections().update(new UpdateConnection().setName("sdk_source").setOptions(Map.of("host", source.getHost(),
                "port", Integer.toString(source.getPort()), "user", "sdk_replication", "password", "R0tated-Sdk!")));
        assertEquals("sdk_source", updated.getName());

        w.connections().create(new CreateConnection().setName("sdk_scratch").setConnectionType(ConnectionType.POSTGRESQL)
                .setOptions(Map.of("host", "127.0.0.1", "user", "nobody")));
        assertEquals(Set.of("sdk_scratch", "sdk_source"), names(w.connections().list(new ListConnectionsRequest().setMaxResults(1L)),
                ConnectionInfo::getName), "listed across pages of one");
        assertThrows(ResourceAlreadyExists.class, () -> w.connections().create(new CreateConnection().setName("sdk_scratch")
                .setConnectionType(ConnectionType.POSTGRESQL).setOptions(Map.of("host", "127.0.0.1", "user", "nobody"))));
        w.connections().delete("sdk_scratch");
        assertThrows(ResourceDoesNotExist.class, () -> w.connections().get("sdk_scratch"));
    }

    @Test
    @Order(4)
    void aGatewayAndAnIngestionPipelineWithASlotConfigBringTheRowsToDelta() {
        gatewayId = w.pipelines().create(new CreatePipeline().setName("sdk-gateway").setGatewayDefinition(new IngestionGatewayPipelineDefinition()
                .setConnectionName("sdk_source").setGatewayStorageCatalog("main").setGatewayStorageSchema("sdk")
                .setGatewayStorageName("sdk-gateway"))).getPipelineId();
        ingestionId = w.pipelines().create(new CreatePipeline().setName("sdk-ingestion").setIngestionDefinition(ingestion(List.of("orders"))))
                .getPipelineId();

        GetPipelineResponse ingestion = w.pipelines().get(ingestionId);
        assertEquals("sdk_slot", ingestion.getSpec().getIngestionDefinition().getSourceConfigurations().iterator().next().getCatalog()
                .getPostgres().getSlotConfig().getSlotName());
        assertEquals("sdk_source", w.pipelines().get(gatewayId).getSpec().getGatewayDefinition().getConnectionName());

        String updateId = w.pipelines().startUpdate(new StartUpdate().setPipelineId(ingestionId)).getUpdateId();
        List<PipelineState> seen = new ArrayList<>();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).ignoreException(ResourceDoesNotExist.class).untilAsserted(() -> {
            seen.add(w.pipelines().get(ingestionId).getState());
            assertEquals(UpdateInfoState.COMPLETED, w.pipelines().getUpdate(ingestionId, updateId).getUpdate().getState());
        });
        assertFalse(seen.contains(PipelineState.RECOVERING), "no false RECOVERING while the gateway starts: " + seen);
        assertFalse(seen.contains(null), "every state is one the SDK knows: " + seen);
        List<String> listed = StreamSupport.stream(w.pipelines().listUpdates(new ListUpdatesRequest().setPipelineId(ingestionId))
                .getUpdates().spliterator(), false).map(UpdateInfo::getUpdateId).toList();
        assertTrue(listed.contains(updateId), "listUpdates: " + listed);
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> w.tables().exists("main.sdk.orders").getTableExists());
    }

    @Test
    @Order(5)
    void aFilteredListReturnsOnlyWhatTheFilterSelects() {
        w.pipelines().create(new CreatePipeline().setName("someone-elses-gateway").setGatewayDefinition(new IngestionGatewayPipelineDefinition()
                .setConnectionName("sdk_source").setGatewayStorageCatalog("main").setGatewayStorageSchema("other")
                .setGatewayStorageName("other")));
        assertEquals(Set.of(gatewayId, ingestionId), names(w.pipelines().listPipelines(new ListPipelinesRequest().setFilter("name LIKE 'sdk-%'")
                .setMaxResults(1L)), PipelineStateInfo::getPipelineId));
        assertEquals(Set.of(ingestionId), names(w.pipelines().listPipelines(new ListPipelinesRequest()
                .setFilter("id IN ('" + ingestionId + "')")), PipelineStateInfo::getPipelineId));
        InvalidParameterValue e = assertThrows(InvalidParameterValue.class, () -> w.pipelines().listPipelines(new ListPipelinesRequest()
                .setFilter("name LIKE 'sdk-%' AND creator_user_name = 'me'")).iterator().hasNext());
        assertTrue(e.getMessage().contains("name LIKE 'sdk-%' AND creator_user_name = 'me'"), e.getMessage());
    }

    @Test
    @Order(6)
    void theDeltaTableIsListedWithItsCatalogSchemaAndWritingPipeline() {
        TableInfo table = w.tables().get("main.sdk.orders");
        assertEquals(DataSourceFormat.DELTA, table.getDataSourceFormat());
        assertEquals(ingestionId, table.getPipelineId());
        assertEquals(List.of("id", "name", "qty"), table.getColumns().stream().map(ColumnInfo::getName).toList());
        assertTrue(names(w.tables().list(new ListTablesRequest().setCatalogName("main").setSchemaName("sdk")), TableInfo::getFullName)
                .contains("main.sdk.orders"));
        assertFalse(w.tables().exists("main.sdk.no_such_table").getTableExists());
        assertTrue(names(w.catalogs().list(new ListCatalogsRequest()), CatalogInfo::getName).contains("main"));
        assertTrue(names(w.schemas().list(new ListSchemasRequest().setCatalogName("main")), SchemaInfo::getFullName).contains("main.sdk"));
        assertThrows(ResourceDoesNotExist.class, () -> w.tables().get("main.sdk.no_such_table"));
    }

    @Test
    @Order(7)
    void aLakebaseInstanceCatalogAndTriggeredSyncedTableEqualTheSource() throws Exception {
        DatabaseInstance instance = w.database().createDatabaseInstance(new CreateDatabaseInstanceRequest()
                .setDatabaseInstance(new DatabaseInstance().setName(INSTANCE).setCapacity("CU_1"))).get();
        assertEquals(DatabaseInstanceState.AVAILABLE, instance.getState());
        assertEquals("CU_1", w.database().getDatabaseInstance(INSTANCE).getCapacity());
        assertTrue(names(w.database().listDatabaseInstances(new ListDatabaseInstancesRequest()), DatabaseInstance::getName).contains(INSTANCE));

        w.database().createDatabaseCatalog(new CreateDatabaseCatalogRequest().setCatalog(new DatabaseCatalog().setName(DATABASE_CATALOG)
                .setDatabaseInstanceName(INSTANCE).setDatabaseName("sdk_db").setCreateDatabaseIfNotExists(true)));
        assertEquals(Boolean.TRUE, w.database().getDatabaseCatalog(DATABASE_CATALOG).getCreateDatabaseIfNotExists());
        assertEquals(Set.of(DATABASE_CATALOG), names(w.database().listDatabaseCatalogs(INSTANCE), DatabaseCatalog::getName));

        w.database().createSyncedDatabaseTable(new CreateSyncedDatabaseTableRequest().setSyncedTable(new SyncedDatabaseTable()
                .setName(DATABASE_CATALOG + ".public.orders_synced").setSpec(new SyncedTableSpec().setSourceTableFullName("main.sdk.orders")
                        .setPrimaryKeyColumns(List.of("id")).setSchedulingPolicy(SyncedTableSchedulingPolicy.TRIGGERED))));
        assertEquals(Set.of(DATABASE_CATALOG + ".public.orders_synced"), names(w.database().listSyncedDatabaseTables(INSTANCE),
                SyncedDatabaseTable::getName));
        awaitSyncedEqualsSource(DATABASE_CATALOG + ".public.orders_synced", "orders");
        syncedPipelineId = w.database().getSyncedDatabaseTable(DATABASE_CATALOG + ".public.orders_synced").getDataSynchronizationStatus()
                .getPipelineId();
        assertNotNull(syncedPipelineId);
    }

    @Test
    @Order(8)
    void changesFlowThroughAndARefreshThroughStartUpdateAppliesThem() throws Exception {
        Sql.run(shopUrl,
                "INSERT INTO orders SELECT i, 'late-' || i, i FROM generate_series(26, 30) s(i)",
                "UPDATE orders SET qty = -qty WHERE id % 4 = 0",
                "DELETE FROM orders WHERE id IN (3, 5, 8)");
        w.pipelines().startUpdate(new StartUpdate().setPipelineId(ingestionId));
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().untilAsserted(() -> {
            w.pipelines().startUpdate(new StartUpdate().setPipelineId(syncedPipelineId));
            assertEquals(Sql.query(shopUrl, ROWS.formatted("orders")), Sql.query(targetUrl, ROWS.formatted("public.orders_synced")));
        });
    }

    @Test
    @Order(9)
    void editingTheIngestionPipelineAddsATable() throws Exception {
        Sql.run(shopUrl, "ALTER PUBLICATION sdk_publication ADD TABLE customers");
        w.pipelines().update(new EditPipeline().setPipelineId(ingestionId).setName("sdk-ingestion")
                .setIngestionDefinition(ingestion(List.of("orders", "customers"))));
        assertEquals(2, w.pipelines().get(ingestionId).getSpec().getIngestionDefinition().getObjects().size());
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).until(() -> {
            w.pipelines().startUpdate(new StartUpdate().setPipelineId(ingestionId));
            return w.tables().exists("main.sdk.customers").getTableExists();
        });
        assertEquals(ingestionId, w.tables().get("main.sdk.customers").getPipelineId());
    }

    @Test
    @Order(10)
    void mistakesAreTypedErrors() {
        assertThrows(ResourceDoesNotExist.class, () -> w.pipelines().get("no-such-pipeline"));
        assertThrows(ResourceDoesNotExist.class, () -> w.database().getDatabaseInstance("no-such-instance"));
        InvalidParameterValue invalid = assertThrows(InvalidParameterValue.class, () -> w.database().createDatabaseCatalog(
                new CreateDatabaseCatalogRequest().setCatalog(new DatabaseCatalog().setName("bad-name!").setDatabaseInstanceName(INSTANCE)
                        .setDatabaseName("sdk_db"))));
        assertTrue(invalid.getMessage().startsWith("name:"), invalid.getMessage());
        assertThrows(ResourceAlreadyExists.class, () -> w.database().createDatabaseInstance(new CreateDatabaseInstanceRequest()
                .setDatabaseInstance(new DatabaseInstance().setName(INSTANCE).setCapacity("CU_1"))));
        // The connection Tideline made for the instance belongs to the instance.
        PermissionDenied denied = assertThrows(PermissionDenied.class, () -> w.connections().delete("lakebase__" + INSTANCE));
        assertTrue(denied.getMessage().contains(INSTANCE), denied.getMessage());
        // A Databricks call Tideline does not have: a typed error, answered at once (not retried).
        NotFound notImplemented = assertThrows(NotFound.class, () -> w.database().updateDatabaseInstance(
                new UpdateDatabaseInstanceRequest().setName(INSTANCE).setUpdateMask("capacity")
                        .setDatabaseInstance(new DatabaseInstance().setName(INSTANCE).setCapacity("CU_2"))));
        assertTrue(notImplemented.getMessage().contains("does not implement PATCH /api/2.0/database/instances/" + INSTANCE),
                notImplemented.getMessage());
        WorkspaceClient intruder = new WorkspaceClient(new DatabricksConfig().setHost(host).setToken("not-the-token"));
        assertThrows(Unauthenticated.class, () -> intruder.pipelines().get(ingestionId));
    }

    @Test
    @Order(11)
    void everythingIsDeletedInReverseOrder() {
        w.database().deleteSyncedDatabaseTable(DATABASE_CATALOG + ".public.orders_synced");
        assertThrows(ResourceDoesNotExist.class, () -> w.database().getSyncedDatabaseTable(DATABASE_CATALOG + ".public.orders_synced"));
        w.database().deleteDatabaseCatalog(DATABASE_CATALOG);
        w.database().deleteDatabaseInstance(INSTANCE);
        assertThrows(ResourceDoesNotExist.class, () -> w.database().getDatabaseInstance(INSTANCE));
        assertThrows(ResourceDoesNotExist.class, () -> w.connections().get("lakebase__" + INSTANCE), "the instance's connection went with it");

        w.pipelines().delete(ingestionId);
        for (PipelineStateInfo other : w.pipelines().listPipelines(new ListPipelinesRequest().setFilter("name LIKE '%gateway'"))) {
            w.pipelines().delete(other.getPipelineId());
        }
        assertThrows(ResourceDoesNotExist.class, () -> w.pipelines().get(gatewayId));
        assertEquals(Set.of(), names(w.pipelines().listPipelines(new ListPipelinesRequest()), PipelineStateInfo::getPipelineId));
        w.connections().delete("sdk_source");
        assertEquals(Set.of(), names(w.connections().list(new ListConnectionsRequest()), ConnectionInfo::getName));
    }

    private IngestionPipelineDefinition ingestion(List<String> tables) {
        return new IngestionPipelineDefinition().setIngestionGatewayId(gatewayId)
                .setObjects(tables.stream().map(t -> new IngestionConfig().setTable(new TableSpec().setSourceCatalog("shop")
                        .setSourceSchema("public").setSourceTable(t).setDestinationCatalog("main").setDestinationSchema("sdk"))).toList())
                .setSourceConfigurations(List.of(new SourceConfig().setCatalog(new SourceCatalogConfig().setSourceCatalog("shop")
                        .setPostgres(new PostgresCatalogConfig().setSlotConfig(new PostgresSlotConfig().setSlotName("sdk_slot")
                                .setPublicationName("sdk_publication"))))));
    }

    private void awaitSyncedEqualsSource(String syncedTable, String sourceTable) {
        String postgresTable = syncedTable.substring(syncedTable.indexOf('.') + 1);
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
            String state = String.valueOf(w.database().getSyncedDatabaseTable(syncedTable).getDataSynchronizationStatus().getDetailedState());
            assertTrue(state.contains("ONLINE") && !state.contains("FAILED"), syncedTable + " is " + state);
            assertEquals(Sql.query(shopUrl, ROWS.formatted(sourceTable)), Sql.query(targetUrl, ROWS.formatted(postgresTable)));
        });
    }

    private static <T> Set<String> names(Iterable<T> items, java.util.function.Function<T, String> name) {
        return StreamSupport.stream(items.spliterator(), false).map(name).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
}
