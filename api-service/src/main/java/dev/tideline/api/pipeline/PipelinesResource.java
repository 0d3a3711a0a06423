package dev.tideline.api.pipeline;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
import dev.tideline.api.http.RequestBodies;
import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.IngestionDefinition.IngestionObject;
import dev.tideline.control.kv.Versioned;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Pipelines ({@code /api/2.0/pipelines}): ingestion gateways (run by gateway-service) and ingestion pipelines
 * (run by apply-service), stored in {@code tideline-specs}; state from {@code tideline-status}; updates sent as
 * control messages. The pipeline id of a synced table is accepted by {@code /updates} too, as in Databricks.
 */
@Path("/api/2.0/pipelines")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "pipelines")
public class PipelinesResource {

    private static final Logger LOG = Logger.getLogger(PipelinesResource.class);

    private final SpecStore store;
    private final ControlPlaneAccess control;

    PipelinesResource(SpecStore store, ControlPlaneAccess control) {
        this.store = store;
        this.control = control;
    }

    @POST
    @Operation(summary = "Create an ingestion gateway or an ingestion pipeline")
    @RequestBody(content = @Content(schema = @Schema(implementation = PipelineRequest.class)))
    public PipelineViews.Created create(String body) {
        PipelineRequest request = RequestBodies.read(body, PipelineRequest.class);
        if (request.pipelineId() != null) {
            throw ApiException.invalid("pipeline_id", "Tideline mints pipeline ids on create; remove it (it belongs in a PUT edit)");
        }
        String id = UUID.randomUUID().toString();
        PipelineSpec spec = validated(id, request, System.currentTimeMillis(), store.pipelines());
        if (!store.create(KvKeys.pipeline(id), spec)) {
            throw new IllegalStateException("freshly minted pipeline id " + id + " already exists");
        }
        LOG.infof("%s pipeline %s (%s) created", spec.isGateway() ? "gateway" : "ingestion", id, spec.name());
        return new PipelineViews.Created(id);
    }

    /**
     * Replaces a pipeline's settings, as Databricks' EditPipeline: the whole definition is given again. The running
     * services follow: a gateway restarts from its slot and snapshots tables that are new to it, an ingestion
     * pipeline starts writing its new tables. What would need a new slot or a new staging stream cannot change:
     * the kind, {@code ingestion_gateway_id} and {@code source_configurations}.
     */
    @PUT
    @Path("/{pipeline_id}")
    @Operation(summary = "Edit a pipeline: name, continuous, tables, table configuration, gateway connection")
    @RequestBody(content = @Content(schema = @Schema(implementation = PipelineRequest.class)))
    public Map<String, Object> edit(@PathParam("pipeline_id") String id, String body) {
        PipelineRequest request = RequestBodies.read(body, PipelineRequest.class);
        if (request.pipelineId() != null && !request.pipelineId().equals(id)) {
            throw ApiException.invalid("pipeline_id", "'" + request.pipelineId() + "' differs from the pipeline id in the path, '" + id
                    + "'; leave it out or make them equal");
        }
        Versioned<PipelineSpec> current = store.pipelineEntry(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
        List<PipelineSpec> others = store.pipelines().stream().filter(p -> !p.id().equals(id)).toList();
        PipelineSpec edited = validated(id, request, current.value().createdAtMillis(), others);
        PipelineEdits.requireCompatible(current.value(), edited);
        if (edited.equals(current.value())) {
            return Map.of();
        }
        if (!store.update(KvKeys.pipeline(id), edited, current.revision())) {
            throw ApiException.conflict("Pipeline " + id + " changed while it was being edited; read it again and retry");
        }
        LOG.infof("%s pipeline %s (%s) edited", edited.isGateway() ? "gateway" : "ingestion", id, edited.name());
        return Map.of();
    }

    /** The spec a create or edit request describes, validated against the {@code others} stored. */
    private PipelineSpec validated(String id, PipelineRequest request, long createdAtMillis, List<PipelineSpec> others) {
        String name = request.name() == null ? null : FieldRules.required("name", request.name(), "\"neon_gateway\"");
        boolean gateway = request.gatewayDefinition() != null;
        if (gateway && Boolean.FALSE.equals(request.continuous())) {
            throw ApiException.invalid("continuous", "an ingestion gateway always runs continuously, so that the replication slot is"
                    + " consumed and WAL does not grow on the source; remove \"continuous\": false");
        }
        boolean continuous = gateway || Boolean.TRUE.equals(request.continuous());
        PipelineSpec spec = new PipelineSpec(id, name, continuous, request.gatewayDefinition(), request.ingestionDefinition(), createdAtMillis);
        PipelineValidator.validate(spec, others, store::connection);
        if (name != null && !Boolean.TRUE.equals(request.allowDuplicateNames())) {
            others.stream().filter(p -> name.equals(p.name())).findFirst().ifPresent(p -> {
                throw ApiException.alreadyExists("Pipeline named", name, "it has pipeline_id " + p.id()
                        + "; choose another name or set \"allow_duplicate_names\": true");
            });
        }
        return spec;
    }

    /**
     * Databricks' ListPipelines: {@code filter} applied ({@link PipelineFilter}), ordered by {@code order_by}
     * ({@code id} or {@code name}, ascending; id by default), a page at a time.
     */
    @GET
    @Operation(summary = "List pipelines with their state: filter, order_by, max_results, page_token")
    public PipelineViews.PipelineList list(@QueryParam("filter") String filter, @QueryParam("order_by") List<String> orderBy,
                                           @QueryParam("max_results") String maxResults, @QueryParam("page_token") String pageToken) {
        Predicate<PipelineSpec> selected = PipelineFilter.parse(filter);
        Function<PipelineSpec, String> key = orderKey(orderBy);
        Pages<PipelineSpec> page = Pages.of(store.pipelines().stream().filter(selected).toList(), "max_results", maxResults, pageToken, key);
        List<PipelineViews.PipelineStateInfo> statuses = new ArrayList<>();
        for (PipelineSpec spec : page.items()) {
            statuses.add(PipelineViews.stateInfo(spec, store.pipelineStatus(spec.id()).orElse(null), store.tableStatuses(spec.id())));
        }
        return new PipelineViews.PipelineList(statuses, page.nextPageToken());
    }

    /** The page key for {@code order_by}: unique (ties on name broken by id), ascending. */
    private static Function<PipelineSpec, String> orderKey(List<String> orderBy) {
        if (orderBy == null || orderBy.isEmpty()) {
            return PipelineSpec::id;
        }
        if (orderBy.size() > 1) {
            throw ApiException.invalid("order_by", orderBy + " has more than one entry; give one of \"id asc\" and \"name asc\"");
        }
        String[] words = orderBy.get(0).trim().toLowerCase(java.util.Locale.ROOT).split("\\s+");
        boolean ascending = words.length == 1 || (words.length == 2 && words[1].equals("asc"));
        if (ascending && words[0].equals("id")) {
            return PipelineSpec::id;
        }
        if (ascending && words[0].equals("name")) {
            return p -> (p.name() == null ? "" : p.name()) + '\u0000' + p.id();
        }
        throw ApiException.invalid("order_by", "'" + orderBy.get(0) + "' is not supported; use \"id asc\" or \"name asc\"");
    }

    @GET
    @Path("/{pipeline_id}")
    @Operation(summary = "Get a pipeline: spec, state, latest updates")
    public PipelineViews.Pipeline get(@PathParam("pipeline_id") String id) {
        Optional<PipelineSpec> spec = store.pipeline(id);
        if (spec.isPresent()) {
            return PipelineViews.pipeline(spec.get(), store.pipelineStatus(id).orElse(null), store.tableStatuses(id));
        }
        // As in Databricks, a synced table's pipeline can be read as a pipeline too.
        SyncedTableSpec synced = store.syncedTableByPipeline(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
        return PipelineViews.syncedTablePipeline(synced, store.syncedTableStatus(synced.name()).orElse(null));
    }

    @DELETE
    @Path("/{pipeline_id}")
    @Operation(summary = "Delete a pipeline; the response says what happens to the replication slot")
    public Map<String, Object> delete(@PathParam("pipeline_id") String id) {
        PipelineSpec spec = store.pipeline(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
        List<PipelineSpec> all = store.pipelines();
        Map<String, Object> response = new LinkedHashMap<>();
        if (spec.isGateway()) {
            List<String> dependents = all.stream().filter(p -> p.isIngestion() && id.equals(p.ingestionDefinition().ingestionGatewayId()))
                    .map(PipelineSpec::id).toList();
            CapturePlan plan = SlotCleanup.plan(spec, all);
            StringBuilder message = new StringBuilder(plan == null
                    ? "no ingestion pipeline used this gateway, so it read no replication slot"
                    : SlotCleanup.advice(plan));
            if (!dependents.isEmpty()) {
                message.append(". The ingestion pipelines ").append(dependents).append(" read from this gateway: they keep their Delta")
                        .append(" tables but receive no new changes; delete them too");
            }
            response.put("message", message.toString());
        } else {
            String gatewayId = spec.ingestionDefinition().ingestionGatewayId();
            Optional<PipelineSpec> gateway = all.stream().filter(p -> p.id().equals(gatewayId) && p.isGateway()).findFirst();
            if (gateway.isPresent()) {
                List<PipelineSpec> remaining = all.stream().filter(p -> !p.id().equals(id)).toList();
                CapturePlan before = SlotCleanup.plan(gateway.get(), all);
                if (before != null && SlotCleanup.plan(gateway.get(), remaining) == null) {
                    response.put("message", "gateway " + gatewayId + " has no ingestion pipeline left and its slot '" + before.slot().slotName()
                            + "' keeps retaining WAL until it is dropped; delete the gateway too if you no longer need it. "
                            + SlotCleanup.advice(before));
                }
            }
        }
        store.delete(KvKeys.pipeline(id));
        LOG.infof("pipeline %s deleted%s", id, response.isEmpty() ? "" : ": " + response.get("message"));
        return response;
    }

    @POST
    @Path("/{pipeline_id}/updates")
    @Operation(summary = "Start an update (run now, or full refresh); for a synced table's pipeline_id, refresh the synced table")
    @RequestBody(content = @Content(schema = @Schema(implementation = UpdateRequestBody.class)))
    public PipelineViews.UpdateStarted startUpdate(@PathParam("pipeline_id") String id, String body) {
        UpdateRequestBody request = body == null || body.isBlank() ? new UpdateRequestBody(null, null, null, null, null)
                : RequestBodies.read(body, UpdateRequestBody.class);
        if (request.refreshSelection() != null && !request.refreshSelection().isEmpty()) {
            throw ApiException.invalid("refresh_selection", "is not supported: every update applies all tables of the pipeline; remove it,"
                    + " or use full_refresh_selection to re-snapshot tables");
        }
        if (Boolean.TRUE.equals(request.validateOnly())) {
            throw ApiException.invalid("validate_only", "is not supported: pipelines are validated when they are created; remove it");
        }
        boolean fullRefresh = Boolean.TRUE.equals(request.fullRefresh());
        List<String> selection = request.fullRefreshSelection() == null ? List.of() : request.fullRefreshSelection();
        if (fullRefresh && !selection.isEmpty()) {
            throw ApiException.invalid("full_refresh_selection", "cannot be combined with \"full_refresh\": true; use one of them");
        }
        String updateId = UUID.randomUUID().toString();
        Optional<PipelineSpec> pipeline = store.pipeline(id);
        if (pipeline.isEmpty()) {
            SyncedTableSpec synced = store.syncedTableByPipeline(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
            if (!selection.isEmpty()) {
                throw ApiException.invalid("full_refresh_selection", "a synced table's pipeline has one table; use \"full_refresh\": true instead");
            }
            control.send(Subjects.syncedTableRefresh(synced.name()), new RefreshRequest(updateId, fullRefresh, System.currentTimeMillis()));
            LOG.infof("refresh %s of synced table %s requested (full: %s)", updateId, synced.name(), fullRefresh);
            return new PipelineViews.UpdateStarted(updateId);
        }
        checkSelection(pipeline.get(), selection);
        String cause = request.cause() == null ? "API_CALL" : request.cause();
        control.send(Subjects.pipelineUpdate(id), new UpdateRequest(updateId, fullRefresh, selection, cause, System.currentTimeMillis()));
        LOG.infof("update %s of pipeline %s requested (full refresh: %s, selection: %s)", updateId, id, fullRefresh, selection);
        return new PipelineViews.UpdateStarted(updateId);
    }

    /**
     * Databricks' ListUpdates: the updates the running service reported (it keeps the latest few), newest first,
     * a page at a time; {@code until_update_id} ends the list with that update. A synced table's pipeline lists none.
     */
    @GET
    @Path("/{pipeline_id}/updates")
    @Operation(summary = "List a pipeline's updates, newest first: max_results, page_token, until_update_id")
    public PipelineViews.UpdateList listUpdates(@PathParam("pipeline_id") String id, @QueryParam("max_results") String maxResults,
                                                @QueryParam("page_token") String pageToken, @QueryParam("until_update_id") String untilUpdateId) {
        if (store.pipeline(id).isEmpty()) {
            store.syncedTableByPipeline(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
        }
        PipelineStatus status = store.pipelineStatus(id).orElse(null);
        List<PipelineViews.UpdateInfo> updates = new ArrayList<>();
        for (PipelineStatus.UpdateStatus update : status == null ? List.<PipelineStatus.UpdateStatus>of() : status.latestUpdates()) {
            updates.add(PipelineViews.updateInfo(id, update));
            if (update.updateId().equals(untilUpdateId)) {
                break;
            }
        }
        if (untilUpdateId != null && updates.stream().noneMatch(u -> u.updateId().equals(untilUpdateId))) {
            throw ApiException.invalid("until_update_id", "'" + untilUpdateId + "' is not among the updates of pipeline " + id
                    + " (the service keeps the latest few); leave it out to list them all");
        }
        // Newest first, as Databricks lists them: the key inverts the creation time.
        Pages<PipelineViews.UpdateInfo> page = Pages.of(updates, "max_results", maxResults, pageToken,
                u -> String.format("%020d", Long.MAX_VALUE - u.creationTime()) + u.updateId());
        return new PipelineViews.UpdateList(page.items(), page.nextPageToken());
    }

    @GET
    @Path("/{pipeline_id}/updates/{update_id}")
    @Operation(summary = "Get an update, as the running service reported it")
    public PipelineViews.Update getUpdate(@PathParam("pipeline_id") String id, @PathParam("update_id") String updateId) {
        store.pipeline(id).orElseThrow(() -> ApiException.notFound("Pipeline", id));
        PipelineStatus status = store.pipelineStatus(id).orElse(null);
        PipelineStatus.UpdateStatus update = status == null ? null
                : status.latestUpdates().stream().filter(u -> updateId.equals(u.updateId())).findFirst().orElse(null);
        if (update == null) {
            throw ApiException.notFound("Update", updateId + "' of pipeline '" + id + "' (the service has not reported it yet, or it is older"
                    + " than the updates kept in the status; see GET /api/2.0/pipelines/" + id + ")");
        }
        return new PipelineViews.Update(PipelineViews.updateInfo(id, update));
    }

    /** Each entry must name a destination table of the pipeline: {@code table} or {@code schema.table}. */
    private static void checkSelection(PipelineSpec pipeline, List<String> selection) {
        if (selection.isEmpty()) {
            return;
        }
        if (!pipeline.isIngestion()) {
            throw ApiException.invalid("full_refresh_selection", "pipeline " + pipeline.id() + " is a gateway; select tables on its ingestion"
                    + " pipeline instead");
        }
        List<String> known = new ArrayList<>();
        List<String> schemas = new ArrayList<>();
        for (IngestionObject object : pipeline.ingestionDefinition().objects()) {
            if (object.table() != null) {
                known.add(object.table().destinationTableOrSource());
                known.add(object.table().destinationSchema() + "." + object.table().destinationTableOrSource());
            } else {
                schemas.add(object.schema().destinationSchema());
            }
        }
        for (int i = 0; i < selection.size(); i++) {
            String entry = selection.get(i);
            boolean inSchema = entry != null && entry.contains(".") && schemas.contains(entry.substring(0, entry.indexOf('.')));
            if (entry == null || !(known.contains(entry) || inSchema)) {
                throw ApiException.invalid("full_refresh_selection[" + i + "]", "'" + entry + "' is not a destination table of pipeline "
                        + pipeline.id() + "; use one of " + known + (schemas.isEmpty() ? "" : " or <schema>.<table> in schemas " + schemas));
            }
        }
    }
}
