package dev.tideline.api.console;

import io.quarkus.qute.TemplateData;

import java.util.List;

/**
 * What the console's templates show, as plain values: every field is text or a number the template prints
 * through Qute's HTML escaping (identifiers from Postgres are untrusted), and every link is built here with
 * its path segments URL-encoded.
 */
final class ConsoleViews {

    private ConsoleViews() {
    }

    /**
     * A button that calls the public API after the user confirmed {@code confirm}.
     *
     * @param label    the button text
     * @param path     the API path POSTed to, e.g. {@code /api/2.0/pipelines/<id>/updates}
     * @param body     the JSON body sent
     * @param confirm  the question the user confirms
     * @param pipeline the pipeline whose update to follow until it completes, or null (synced tables)
     */
    @TemplateData
    record Action(String label, String path, String body, String confirm, String pipeline) {
    }

    /**
     * Something FAILED or degraded, shown at the top of the overview.
     *
     * @param severity {@code failed} or {@code degraded}
     * @param kind     gateway, ingestion pipeline, table, synced table, slot
     * @param cause    the cause and the fix, as the service reported it
     */
    @TemplateData
    record Problem(String severity, String kind, String name, String href, String state, String cause, List<Action> actions) {
    }

    /** The health of a replication slot on the source, as the console read it just now. */
    @TemplateData
    record SlotView(String slotName, String publication, String walStatus, Long retainedBytes, String retained, Long lagBytes,
                    String level, String warning) {
    }

    @TemplateData
    record GatewayRow(String id, String name, String href, String state, String health, String connection, String source,
                      String stream, SlotView slot) {
    }

    @TemplateData
    record PipelineRow(String id, String name, String href, String state, String health, String gatewayName, int tables,
                       int failedTables, String lastUpdate, String lag, List<Action> actions) {
    }

    @TemplateData
    record SyncedRow(String name, String href, String state, String health, String policy, String source, Long syncedVersion,
                     String lastSync, String lag, String message, List<Action> actions) {
    }

    @TemplateData
    record Overview(List<Problem> problems, List<GatewayRow> gateways, List<PipelineRow> pipelines, List<SyncedRow> syncedTables,
                    List<LagChart.Chart> charts) {
    }

    /**
     * One table of a pipeline.
     *
     * @param progress snapshot progress in percent while a snapshot runs and its size is known, else null
     */
    @TemplateData
    record TableRow(String source, String destination, String state, Long rows, Long rowsTotal, Integer progress, Long deltaVersion,
                    String lastCommit, String lsn, Long lagBytes, String lag, Long lagSeconds, String message, List<Action> actions) {
    }

    /** One update (run) of a pipeline. */
    @TemplateData
    record UpdateRow(String updateId, String state, boolean fullRefresh, String created, String message) {
    }

    /** The flow of a pipeline, left to right: source database, slot, staging stream, tables, synced tables. */
    @TemplateData
    record Flow(String source, String slot, String stream, List<String> tables, List<SyncedRow> syncedTables) {
    }

    @TemplateData
    record PipelinePage(String id, String name, String kind, String state, String health, String cause, String message,
                        String gatewayName, String gatewayHref, Flow flow, SlotView slot, List<TableRow> tables, List<UpdateRow> updates,
                        List<Action> actions, LagChart.Chart chart, String eventsHref, String lag) {
    }

    @TemplateData
    record SyncedPage(SyncedRow table, String pipelineId, String target, String primaryKey, LagChart.Chart chart, String eventsHref) {
    }

    @TemplateData
    record EventRow(String time, String subject, String body) {
    }
}
