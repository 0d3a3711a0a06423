package dev.tideline.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.testing.HeadlessChromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.awaitility.core.ConditionFactory;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The console of the stack {@code deploy/local/up.sh} starts, in a real headless Chromium, as a newcomer uses it after
 * the seed walkthrough: sign in with the printed token, see the pipeline with its tables, Delta versions, slot and lag
 * chart, and its synced table; start an update and refresh the synced table with the console's buttons — run for real
 * by apply-service and sync-service. Screenshots of the pages go to {@code e2e/target/console-screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {

    private static final Duration PATIENCE = Duration.ofMinutes(3);

    private LocalStack stack;
    private Api api;
    private String console;
    private String neondbUrl;
    private String ingestionId;
    private ChromeDriver browser;

    @BeforeAll
    void startTheStackAndTheBrowser() throws Exception {
        // a lag sample every 2 s, so the chart fills within the test
        stack = LocalStack.up("ConsoleIT", Map.of("TIDELINE_CONSOLE_LAG_SAMPLE_SECONDS", "2", "TIDELINE_CONSOLE_REFRESH_SECONDS", "5"));
        api = new Api(stack.get("TIDELINE_API_URL"), stack.get("TIDELINE_API_TOKEN"));
        console = stack.get("TIDELINE_CONSOLE_URL");
        String sourceAdminUrl = stack.get("TIDELINE_SOURCE_PG_URL");
        neondbUrl = sourceAdminUrl.replace("/postgres?", "/neondb?");
        browser = HeadlessChromium.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void theSeedWalkthroughsPipelineAndSyncedTableRunThroughTheApi() throws Exception {
        String sourceAdminUrl = stack.get("TIDELINE_SOURCE_PG_URL");
        Sql.run(sourceAdminUrl, "CREATE DATABASE neondb");
        Sql.run(neondbUrl,
                "CREATE TABLE playing_with_neon(id SERIAL PRIMARY KEY, name TEXT NOT NULL, value REAL)",
                "INSERT INTO playing_with_neon(name, value) SELECT LEFT(md5(i::TEXT), 10), random() FROM generate_series(1, 10) s(i)",
                "CREATE PUBLICATION databricks_publication FOR TABLE playing_with_neon",
                "SELECT pg_create_logical_replication_slot('databricks_slot', 'pgoutput')");
        URI source = URI.create(sourceAdminUrl.substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "neon_connection", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(source.getHost(), source.getPort(), Sql.urlParameter(source, "password"))).expect(200);
        String gatewayId = api.post("/api/2.0/pipelines", """
                {"name": "neon-gateway",
                 "gateway_definition": {"connection_name": "neon_connection", "gateway_storage_catalog": "main",
                                        "gateway_storage_schema": "neon", "gateway_storage_name": "neon-gateway"}}
                """).expect(200).body().get("pipeline_id").asText();
        ingestionId = api.post("/api/2.0/pipelines", """
                {"name": "neon-ingestion",
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "playing_with_neon",
                                          "destination_catalog": "main", "destination_schema": "neon"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "neondb",
                     "postgres": {"slot_config": {"slot_name": "databricks_slot", "publication_name": "databricks_publication"}}}}]}}
                """.formatted(gatewayId)).expect(200).body().get("pipeline_id").asText();
        api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
        eventually().pollInterval(Duration.ofSeconds(1)).until(() ->
                api.get("/api/2.1/unity-catalog/tables/main.neon.playing_with_neon").status() == 200);

        URI target = URI.create(stack.get("TIDELINE_TARGET_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "target_pg", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(target.getHost(), target.getPort(), Sql.urlParameter(target, "password"))).expect(200);
        api.post("/api/2.0/database/instances", "{\"name\": \"my-database-instance\", \"connection_name\": \"target_pg\"}").expect(200);
        api.post("/api/2.0/database/catalogs", """
                {"name": "pg_db", "database_instance_name": "my-database-instance", "database_name": "databricks_postgres",
                 "create_database_if_missing": true}
                """).expect(200);
        api.post("/api/2.0/database/synced_tables", """
                {"name": "pg_db.public.playing_with_neon_synced",
                 "spec": {"source_table_full_name": "main.neon.playing_with_neon", "primary_key_columns": ["id"],
                          "scheduling_policy": "TRIGGERED"}}
                """).expect(200);
        eventually().pollInterval(Duration.ofSeconds(1)).until(() -> api.get(
                "/api/2.0/database/synced_tables/pg_db.public.playing_with_neon_synced").expect(200).body()
                .at("/data_synchronization_status/detailed_state").asText().contains("ONLINE"));
    }

    @Test
    @Order(2)
    void signedInTheOverviewShowsThePipelineAndItsSyncedTable() {
        browser.get(console);
        waitFor(ExpectedConditions.urlContains("/console/sign-in"));
        browser.findElement(By.id("token")).sendKeys(stack.get("TIDELINE_API_TOKEN"));
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        eventually().untilAsserted(() -> {
            WebElement row = browser.findElement(By.cssSelector("tr[data-pipeline-id='" + ingestionId + "']"));
            assertTrue(row.getText().contains("neon-ingestion"), row.getText());
            assertTrue(browser.findElement(By.id("synced-tables")).getText().contains("pg_db.public.playing_with_neon_synced"));
            assertTrue(browser.findElement(By.id("gateways")).getText().contains("databricks_slot"));
        });
    }

    @Test
    @Order(3)
    void theStartUpdateButtonRunsAnUpdateOfApplyServiceAndTheDeltaVersionRises() throws Exception {
        browser.get(console + "/pipelines/" + ingestionId);
        long before = eventually().until(this::deltaVersion, v -> v >= 0);
        Sql.run(neondbUrl, "INSERT INTO playing_with_neon(name, value) SELECT 'new-' || i, i FROM generate_series(1, 5) s(i)",
                "DELETE FROM playing_with_neon WHERE id = 2");
        click("//div[@class='actions']/button[text()='Start update']");
        eventually().pollInterval(Duration.ofMillis(500)).until(() ->
                browser.findElement(By.id("action-result")).getText().contains(": COMPLETED"));
        eventually().pollInterval(Duration.ofSeconds(1)).until(() -> {
            browser.get(console + "/pipelines/" + ingestionId);
            return deltaVersion() > before;
        });
        eventually().untilAsserted(() -> assertTrue(browser.findElement(By.id("slot")).getText().contains("reserved"),
                browser.findElement(By.id("slot")).getText()));
        eventually().pollInterval(Duration.ofSeconds(2)).until(() -> {
            browser.get(console + "/pipelines/" + ingestionId);
            return Integer.parseInt(browser.findElement(By.cssSelector("figure.chart")).getAttribute("data-samples")) >= 3;
        });
        HeadlessChromium.screenshot(browser, "pipeline");
    }

    @Test
    @Order(4)
    void theRefreshButtonBringsTheSyncedTableToTheNewVersion() {
        browser.get(console + "/synced-tables/pg_db.public.playing_with_neon_synced");
        String before = eventually().until(this::syncedVersion, v -> !v.isEmpty()); // synced once before
        click("//div[@class='actions']/button[text()='Refresh now']");
        eventually().pollInterval(Duration.ofSeconds(1)).until(() -> {
            browser.get(console + "/synced-tables/pg_db.public.playing_with_neon_synced");
            return !syncedVersion().equals(before);
        });
        HeadlessChromium.screenshot(browser, "synced-table");
        browser.get(console);
        waitFor(ExpectedConditions.presenceOfElementLocated(By.id("synced-tables")));
        HeadlessChromium.screenshot(browser, "overview");
        browser.get(console + "/events?q=" + ingestionId);
        eventually().untilAsserted(() -> assertTrue(browser.findElements(By.cssSelector("#events tbody tr")).stream()
                .anyMatch(r -> r.getText().contains(ingestionId)), "the events of the pipeline are listed"));
        HeadlessChromium.screenshot(browser, "events");
    }

    /** Clicks the action button (again if the page reloaded between finding and clicking it) and confirms. */
    private void click(String xpath) {
        eventually().until(() -> {
            waitFor(ExpectedConditions.elementToBeClickable(By.xpath(xpath))).click();
            return true;
        });
        waitFor(ExpectedConditions.alertIsPresent()).accept();
    }

    /** Awaitility with patience for a page that reloads itself: a stale or not yet present element is read again. */
    private static ConditionFactory eventually() {
        return await().atMost(PATIENCE).ignoreExceptionsMatching(e -> e instanceof StaleElementReferenceException
                || e instanceof NoSuchElementException);
    }

    private long deltaVersion() {
        List<WebElement> cells = browser.findElements(By.cssSelector("#tables tr.table-row td.delta-version"));
        return cells.isEmpty() || cells.get(0).getText().isBlank() ? -1 : Long.parseLong(cells.get(0).getText());
    }

    private String syncedVersion() {
        List<WebElement> cell = browser.findElements(By.id("synced-version"));
        return cell.isEmpty() ? "" : cell.get(0).getText();
    }

    private <T> T waitFor(org.openqa.selenium.support.ui.ExpectedCondition<T> condition) {
        return new WebDriverWait(browser, PATIENCE, Duration.ofMillis(250)).ignoring(StaleElementReferenceException.class).until(condition);
    }
}
