package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.api.pipeline.PipelineViews;
import dev.tideline.api.synced.SyncedTableViews;
import dev.tideline.control.ControlJson;
import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.IngestionDefinition.IngestionObject;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.naming.Streams;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds what the console pages show from the specs and status in NATS KV (the same the API reports), the
 * slots on the sources ({@link SlotProbe}), the lag ({@link LagMeter}, {@link LagHistory}) and the event feed.
 * Reads only; actions go through the public API from the browser.
 */
@ApplicationScoped
class ConsoleModel {

    private final SpecStore store;
    private final SlotProbe slots;
    private final LagMeter lag;
    private final LagHistory history;
    private final EventFeed events;
    private final ApiConfig.Console config;

    ConsoleModel(SpecStore store, SlotProbe slots, LagMeter lag, LagHistory history, EventFeed events, ApiConfig config) {
        this.store = store;
        this.slots = slots;
        this.lag = lag;
        this.history = history;
        this.events = events;
        this.config = config.console();
    }

    ConsoleViews.Overview overview() {
        long now = System.currentTimeMillis();
        List<PipelineSpec> all = store.pipelines();
        List<ConsoleViews.Problem> failed = new ArrayList<>();
        List<ConsoleViews.Problem> degraded = new ArrayList<>();
        List<ConsoleViews.GatewayRow> gateways = new ArrayList<>();
        List<ConsoleViews.PipelineRow> pipelines = new ArrayList<>();
        for (PipelineSpec spec : all) {
            PipelineStatus status = store.pipelineStatus(spec.id()).orElse(null);
            List<TableStatus> tables = store.tableStatuses(spec.id());
            String state = PipelineViews.state(status);
            String cause = PipelineViews.cause(status, tables);
            String name = display(spec);
            String kind = spec.isGateway() ? "gateway" : "ingestion pipeline";
            if (status != null && status.state() == PipelineState.FAILED) {
                failed.add(new ConsoleViews.Problem("failed", kind, name, pipelineHref(spec.id()), state, cause,
                        spec.isIngestion() ? List.of(startUpdate(spec), fullRefresh(spec)) : List.of()));
            } else if (status != null && status.state() == PipelineState.RECOVERING) {
                degraded.add(new ConsoleViews.Problem("degraded", kind, name, pipelineHref(spec.id()), state, status.message(), List.of()));
            }
            for (TableStatus table : tables) {
                if ("FAILED".equals(table.state())) {
                    String tableName = spec.isIngestion() ? destination(spec, table.sourceSchema(), table.sourceTable())
                            : table.sourceSchema() + "." + table.sourceTable();
                    failed.add(new ConsoleViews.Problem("failed", "table", tableName + " (" + name + ")", pipelineHref(spec.id()), "FAILED",
                            table.message(), spec.isIngestion() ? List.of(fullRefreshTable(spec, table)) : List.of()));
                }
            }
            if (spec.isGateway()) {
                ConsoleViews.SlotView slot = slotView(spec, all);
                if (slot != null && !SlotAdvice.OK.equals(slot.level())) {
                    (SlotAdvice.FAILED.equals(slot.level()) ? failed : degraded).add(new ConsoleViews.Problem(
                            SlotAdvice.FAILED.equals(slot.level()) ? "failed" : "degraded", "slot", slot.slotName() + " (" + name + ")",
                            pipelineHref(spec.id()), slot.level().toUpperCase(java.util.Locale.ROOT), slot.warning(), List.of()));
                }
                gateways.add(new ConsoleViews.GatewayRow(spec.id(), name, pipelineHref(spec.id()), state, PipelineViews.health(cause),
                        spec.gatewayDefinition().connectionName(), source(spec, all), Streams.changes(spec.id()), slot));
            } else {
                PipelineSpec gateway = gatewayOf(spec, all);
                pipelines.add(new ConsoleViews.PipelineRow(spec.id(), name, pipelineHref(spec.id()), state, PipelineViews.health(cause),
                        gateway == null ? spec.ingestionDefinition().ingestionGatewayId() : display(gateway), tables.size(),
                        (int) tables.stream().filter(t -> "FAILED".equals(t.state())).count(), lastUpdate(status),
                        lagText(lag.pipeline(spec, all, tables, now)), List.of(startUpdate(spec))));
            }
        }
        List<ConsoleViews.SyncedRow> synced = new ArrayList<>();
        for (SyncedTableSpec spec : store.syncedTables()) {
            SyncedTableStatus status = store.syncedTableStatus(spec.name()).orElse(null);
            ConsoleViews.SyncedRow row = syncedRow(spec, status, all, now);
            synced.add(row);
            if ("UNHEALTHY".equals(row.health())) {
                failed.add(new ConsoleViews.Problem("failed", "synced table", spec.name(), row.href(), row.state(), row.message(),
                        List.of(syncedRefresh(spec, true))));
            }
        }
        List<ConsoleViews.Problem> problems = new ArrayList<>(failed);
        problems.addAll(degraded);
        return new ConsoleViews.Overview(problems, gateways, pipelines, synced, charts(all, store.syncedTables(), now));
    }

    Optional<ConsoleViews.PipelinePage> pipeline(String id) {
        Optional<PipelineSpec> found = store.pipeline(id);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        long now = System.currentTimeMillis();
        PipelineSpec spec = found.get();
        List<PipelineSpec> all = store.pipelines();
        PipelineStatus status = store.pipelineStatus(id).orElse(null);
        List<TableStatus> tables = store.tableStatuses(id);
        PipelineSpec gateway = spec.isGateway() ? spec : gatewayOf(spec, all);
        ConsoleViews.SlotView slot = gateway == null ? null : slotView(gateway, all);
        CapturePlan plan = gateway == null ? null : plan(gateway, all);
        List<TableStatus> snapshots = gateway == null || gateway == spec ? List.of() : store.tableStatuses(gateway.id());
        LagMeter.PipelineLag pipelineLag = lag.pipeline(spec, all, tables, now);

        List<ConsoleViews.TableRow> rows = new ArrayList<>();
        List<String> destinations = new ArrayList<>();
        for (TableStatus table : tables) {
            String destination = spec.isIngestion() ? destination(spec, table.sourceSchema(), table.sourceTable()) : null;
            if (destination != null) {
                destinations.add(destination);
            }
            TableStatus snapshot = snapshots.stream().filter(s -> s.sourceSchema().equals(table.sourceSchema())
                    && s.sourceTable().equals(table.sourceTable())).findFirst().orElse(spec.isGateway() ? table : null);
            rows.add(tableRow(spec, table, destination, snapshot, spec.isIngestion() ? pipelineLag : null));
        }
        if (spec.isIngestion()) {
            for (IngestionObject object : spec.ingestionDefinition().objects()) {
                if (object.table() == null) {
                    continue;
                }
                String destination = destination(spec, object.table().sourceSchema(), object.table().sourceTable());
                if (!destinations.contains(destination)) {
                    destinations.add(destination);
                    rows.add(new ConsoleViews.TableRow(object.table().sourceSchema() + "." + object.table().sourceTable(), destination,
                            "WAITING", null, null, null, null, null, null, null, null, null,
                            "apply-service has not reported on this table yet", List.of()));
                }
            }
        }
        rows.sort(Comparator.comparing((ConsoleViews.TableRow r) -> !"FAILED".equals(r.state())).thenComparing(ConsoleViews.TableRow::source));
        List<ConsoleViews.SyncedRow> syncedRows = new ArrayList<>();
        for (SyncedTableSpec synced : store.syncedTables()) {
            if (destinations.contains(synced.spec().sourceTableFullName())) {
                syncedRows.add(syncedRow(synced, store.syncedTableStatus(synced.name()).orElse(null), all, now));
            }
        }
        String cause = PipelineViews.cause(status, tables);
        ConsoleViews.Flow flow = new ConsoleViews.Flow(gateway == null ? "gateway " + spec.ingestionDefinition().ingestionGatewayId() + " not found"
                : source(gateway, all), plan == null ? "no slot yet" : plan.slot().slotName() + " (publication " + plan.slot().publicationName() + ")",
                gateway == null ? "" : Streams.changes(gateway.id()),
                spec.isIngestion() ? destinations : rows.stream().map(ConsoleViews.TableRow::source).toList(), syncedRows);
        List<ConsoleViews.UpdateRow> updates = status == null ? List.of() : status.latestUpdates().stream()
                .map(u -> new ConsoleViews.UpdateRow(u.updateId(), u.state() == null ? "" : u.state().name(), u.fullRefresh(), time(u.creationTimeMillis()),
                        u.message())).toList();
        LagChart.Chart chart = null;
        if (spec.isIngestion()) {
            long from = now - Duration.ofHours(config.chartHours()).toMillis();
            String series = LagHistory.pipelineSeries(id);
            chart = LagChart.of(display(spec), pipelineHref(id), history.read(series, Duration.ofMillis(now - from)).getOrDefault(series, List.of()),
                    from, now);
        }
        String message = status == null ? "no service has reported on this pipeline yet" : status.message();
        return Optional.of(new ConsoleViews.PipelinePage(id, display(spec), spec.isGateway() ? "gateway" : "ingestion pipeline",
                PipelineViews.state(status), PipelineViews.health(cause), cause, message, gateway == null ? null : display(gateway),
                gateway == null || gateway == spec ? null : pipelineHref(gateway.id()), flow, slot, rows, updates,
                spec.isIngestion() ? List.of(startUpdate(spec), fullRefresh(spec)) : List.of(), chart, eventsHref(id),
                spec.isIngestion() ? lagText(pipelineLag) : null));
    }

    Optional<ConsoleViews.SyncedPage> synced(String name) {
        Optional<SyncedTableSpec> found = store.syncedTable(name);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        long now = System.currentTimeMillis();
        SyncedTableSpec spec = found.get();
        SyncedTableStatus status = store.syncedTableStatus(name).orElse(null);
        long from = now - Duration.ofHours(config.chartHours()).toMillis();
        String series = LagHistory.syncedSeries(name);
        LagChart.Chart chart = LagChart.of(name, syncedHref(name), history.read(series, Duration.ofMillis(now - from)).getOrDefault(series, List.of()),
                from, now);
        String target = spec.target() == null ? "" : spec.target().database() + "." + spec.target().schema() + "." + spec.target().table()
                + " (connection " + spec.target().connectionName() + ")";
        return Optional.of(new ConsoleViews.SyncedPage(syncedRow(spec, status, store.pipelines(), now), spec.pipelineId(), target,
                String.join(", ", spec.spec().primaryKeyColumns()), chart, eventsHref(name)));
    }

    /** The most recent events whose subject or body contains {@code filter} (any case), newest first. */
    List<ConsoleViews.EventRow> events(String filter, int max) {
        return events.recent(filter, max);
    }

    // --- lag charts

    private List<LagChart.Chart> charts(List<PipelineSpec> all, List<SyncedTableSpec> synced, long now) {
        long from = now - Duration.ofHours(config.chartHours()).toMillis();
        Map<String, List<LagHistory.Sample>> samples;
        try {
            samples = history.read(null, Duration.ofMillis(now - from));
        } catch (RuntimeException e) {
            samples = Map.of();
        }
        List<LagChart.Chart> charts = new ArrayList<>();
        for (PipelineSpec spec : all) {
            if (spec.isIngestion()) {
                charts.add(LagChart.of(display(spec), pipelineHref(spec.id()), samples.getOrDefault(LagHistory.pipelineSeries(spec.id()), List.of()),
                        from, now));
            }
        }
        for (SyncedTableSpec spec : synced) {
            charts.add(LagChart.of(spec.name(), syncedHref(spec.name()), samples.getOrDefault(LagHistory.syncedSeries(spec.name()), List.of()),
                    from, now));
        }
        return charts;
    }

    // --- rows

    private ConsoleViews.TableRow tableRow(PipelineSpec spec, TableStatus table, String destination, TableStatus snapshot,
                                           LagMeter.PipelineLag pipelineLag) {
        Integer progress = null;
        String state = table.state();
        if (snapshot != null && "SNAPSHOTTING".equals(snapshot.state())) {
            state = spec.isGateway() ? state : "SNAPSHOTTING (" + table.state() + ")";
            if (snapshot.rowsTotal() != null && snapshot.rowsTotal() > 0 && snapshot.rows() != null) {
                progress = (int) Math.min(100, snapshot.rows() * 100 / snapshot.rowsTotal());
            }
        }
        Long lagBytes = pipelineLag == null ? null : pipelineLag.tableBytes(table);
        Long lagSeconds = pipelineLag == null ? null : pipelineLag.seconds();
        String lagText = pipelineLag == null ? "" : join(Bytes.human(lagBytes), Bytes.duration(lagSeconds));
        Long snapshotRows = snapshot != null && "SNAPSHOTTING".equals(snapshot.state()) ? snapshot.rows() : null;
        List<ConsoleViews.Action> actions = spec.isIngestion() ? List.of(fullRefreshTable(spec, table)) : List.of();
        return new ConsoleViews.TableRow(table.sourceSchema() + "." + table.sourceTable(), destination, state,
                snapshotRows != null ? snapshotRows : table.rows(), snapshot == null ? null : snapshot.rowsTotal(), progress, table.deltaVersion(),
                "COMMITTED".equals(table.state()) ? time(table.updatedAtMillis()) : null, table.lsn(), lagBytes, lagText, lagSeconds, table.message(),
                actions);
    }

    private ConsoleViews.SyncedRow syncedRow(SyncedTableSpec spec, SyncedTableStatus status, List<PipelineSpec> all, long now) {
        LagMeter.SyncedLag syncedLag = lag.synced(spec, status, all, now);
        String lagText = syncedLag.versions() == null ? "unknown"
                : join(syncedLag.versions() + (syncedLag.versions() == 1 ? " version" : " versions"), Bytes.duration(syncedLag.seconds()));
        SyncedTableState state = status == null ? null : status.detailedState();
        boolean failed = state == SyncedTableState.OFFLINE_FAILED || state == SyncedTableState.ONLINE_PIPELINE_FAILED;
        String policy = spec.spec().schedulingPolicy() == null ? "" : spec.spec().schedulingPolicy().name();
        List<ConsoleViews.Action> actions = spec.spec().schedulingPolicy() == SyncedTableSpec.SchedulingPolicy.CONTINUOUS
                ? List.of(syncedRefresh(spec, true)) : List.of(syncedRefresh(spec, false), syncedRefresh(spec, true));
        return new ConsoleViews.SyncedRow(spec.name(), syncedHref(spec.name()),
                state == null ? SyncedTableViews.detailedState(SyncedTableState.PROVISIONING) : SyncedTableViews.detailedState(state),
                failed ? "UNHEALTHY" : "HEALTHY", policy, spec.spec().sourceTableFullName(), status == null ? null : status.lastSyncedVersion(),
                status == null || status.lastSyncedAtMillis() == null ? null : time(status.lastSyncedAtMillis()), lagText,
                status == null ? "waiting for sync-service to pick up the synced table" : status.message(), actions);
    }

    private ConsoleViews.SlotView slotView(PipelineSpec gateway, List<PipelineSpec> all) {
        SlotProbe.SlotHealth slot = slots.slot(gateway, all);
        if (slot == null) {
            return null;
        }
        SlotAdvice.Advice advice = SlotAdvice.of(slot, config.slotWarningBytes());
        return new ConsoleViews.SlotView(slot.plan().slot().slotName(), slot.plan().slot().publicationName(), slot.walStatus(),
                slot.retainedBytes(), Bytes.human(slot.retainedBytes()), slot.lagBytes(), advice.level(), advice.warning());
    }

    // --- actions: each is a call of the public API, made by the browser after the user confirmed it

    static ConsoleViews.Action startUpdate(PipelineSpec spec) {
        return new ConsoleViews.Action("Start update", updatesPath(spec.id()), "{}",
                "Start an update of pipeline " + display(spec) + "? It applies the changes staged since the last one.", spec.id());
    }

    static ConsoleViews.Action fullRefresh(PipelineSpec spec) {
        return new ConsoleViews.Action("Full refresh", updatesPath(spec.id()), "{\"full_refresh\": true}",
                "Full refresh of pipeline " + display(spec) + "? Every table is loaded again from a new snapshot of the source.", spec.id());
    }

    static ConsoleViews.Action fullRefreshTable(PipelineSpec spec, TableStatus table) {
        String destination = destination(spec, table.sourceSchema(), table.sourceTable());
        String selection = destination.substring(destination.indexOf('.') + 1); // schema.table, as full_refresh_selection names it
        return new ConsoleViews.Action("Full refresh of this table", updatesPath(spec.id()),
                ControlJson.toJson(Map.of("full_refresh_selection", List.of(selection))),
                "Full refresh of table " + destination + "? It is loaded again from a new snapshot of the source.", spec.id());
    }

    static ConsoleViews.Action syncedRefresh(SyncedTableSpec spec, boolean full) {
        return new ConsoleViews.Action(full ? "Full refresh" : "Refresh now", updatesPath(spec.pipelineId()), full ? "{\"full_refresh\": true}" : "{}",
                (full ? "Full refresh of synced table " + spec.name() + "? The Postgres table is loaded again from the Delta table."
                        : "Refresh synced table " + spec.name() + " now?"), null);
    }

    private static String updatesPath(String pipelineId) {
        return "/api/2.0/pipelines/" + encode(pipelineId) + "/updates";
    }

    // --- names and links

    /** {@code catalog.schema.table} of the Delta table an ingestion pipeline writes for a source table. */
    static String destination(PipelineSpec spec, String sourceSchema, String sourceTable) {
        for (IngestionObject object : spec.ingestionDefinition().objects()) {
            if (object.table() != null && object.table().sourceSchema().equals(sourceSchema) && object.table().sourceTable().equals(sourceTable)) {
                return object.table().destinationCatalog() + "." + object.table().destinationSchema() + "." + object.table().destinationTableOrSource();
            }
        }
        for (IngestionObject object : spec.ingestionDefinition().objects()) {
            if (object.schema() != null && object.schema().sourceSchema().equals(sourceSchema)) {
                return object.schema().destinationCatalog() + "." + object.schema().destinationSchema() + "." + sourceTable;
            }
        }
        return sourceSchema + "." + sourceTable;
    }

    static String pipelineHref(String id) {
        return "/console/pipelines/" + encode(id);
    }

    static String syncedHref(String name) {
        return "/console/synced-tables/" + encode(name);
    }

    private static String eventsHref(String filter) {
        return "/console/events?q=" + URLEncoder.encode(filter, StandardCharsets.UTF_8);
    }

    /** A path segment, percent-encoded (a space as %20, not +). */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String display(PipelineSpec spec) {
        return spec.name() == null || spec.name().isBlank() ? spec.id() : spec.name();
    }

    private PipelineSpec gatewayOf(PipelineSpec ingestion, List<PipelineSpec> all) {
        String id = ingestion.ingestionDefinition().ingestionGatewayId();
        return all.stream().filter(p -> p.id().equals(id) && p.isGateway()).findFirst().orElse(null);
    }

    private static CapturePlan plan(PipelineSpec gateway, List<PipelineSpec> all) {
        try {
            return CapturePlan.of(gateway, all);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private String source(PipelineSpec gateway, List<PipelineSpec> all) {
        ConnectionSpec connection = store.connection(gateway.gatewayDefinition().connectionName()).orElse(null);
        CapturePlan plan = plan(gateway, all);
        String where = connection == null ? "connection missing" : connection.host() + ":" + connection.port();
        return gateway.gatewayDefinition().connectionName() + " (" + where + (plan == null ? "" : "/" + plan.database()) + ")";
    }

    private static String lastUpdate(PipelineStatus status) {
        if (status == null || status.latestUpdates().isEmpty()) {
            return "";
        }
        PipelineStatus.UpdateStatus last = status.latestUpdates().get(0);
        return (last.state() == null ? "" : last.state().name()) + " " + time(last.creationTimeMillis());
    }

    private static String lagText(LagMeter.PipelineLag lag) {
        String text = join(Bytes.human(lag.bytes()), Bytes.duration(lag.seconds()));
        if (lag.pendingMessages() != null) {
            text = join(text, lag.pendingMessages() + " staged messages not applied");
        }
        return text.isEmpty() ? "unknown (no slot or staging stream read yet)" : text;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + ", " + b;
    }

    static String time(long millis) {
        return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
