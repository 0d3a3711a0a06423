package dev.tideline.api.console;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.ApiTestSupport;
import dev.tideline.api.database.DatabaseTest;
import dev.tideline.control.ControlJson;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.control.status.UpdateState;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.HeadlessChromium;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URL;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * The console in a real headless Chromium ({@link HeadlessChromium}), against api-service with a real NATS and a real
 * Postgres (whose replication slot the console reads). What gateway- and apply-service would write — table status,
 * Delta versions, update progress — the test writes into NATS KV itself, as the other API tests do, and it answers
 * the update requests the console's buttons send through the public API.
 *
 * <p>Waits are generous (a loaded 2-core CI machine runs Chromium, Quarkus, NATS and Postgres at once).
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

    /** An identifier that would run script if any page printed it unescaped. */
    static final String XSS_TABLE = "<img src=x onerror=alert(1)>";
    static final String XSS_DESTINATION = "x\"'<b>bold<i>";
    static final String XSS_PIPELINE_NAME = "<script>alert('name')</script>";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @InjectTestServer
    NatsServer nats;

    @InjectTestServer
    PostgresServer postgres;

    @TestHTTPResource("/")
    URL base;

    static ChromeDriver browser;
    static String pipeline;
    static String gateway;
    static String catalog;

    @BeforeAll
    static void startBrowser() {
        browser = HeadlessChromium.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    @Order(1)
    void nothingIsReadableWithoutSigningInWithTheToken() {
        browser.manage().deleteAllCookies();
        open("console");
        waitFor(ExpectedConditions.urlContains("/console/sign-in"));
        assertNotNull(browser.findElement(By.id("token")));
        HeadlessChromium.screenshot(browser, "sign-in");

        open("console/pipelines/anything");
        waitFor(ExpectedConditions.urlContains("/console/sign-in"));
        given().redirects().follow(false).when().get(base + "console/events").then().statusCode(303);
        given().when().post(base + "console/sign-out").then().statusCode(401);

        signIn("not-the-token");
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error")));
        assertTrue(browser.getCurrentUrl().contains("/console/sign-in"));

        signIn(ApiTestSupport.TOKEN);
        waitFor(ExpectedConditions.urlMatches(".*/console$"));
        eventually().untilAsserted(() -> assertEquals("Overview", browser.findElement(By.tagName("h1")).getText()));

        // The console's session cookie is no credential for the API itself.
        String cookie = browser.manage().getCookieNamed(ConsoleAuthFilter.COOKIE).getValue();
        given().cookie(ConsoleAuthFilter.COOKIE, cookie).when().get(base + "api/2.0/pipelines").then().statusCode(401);
        for (String sneaky : List.of("console/../api/2.0/pipelines", "console/%2e%2e/api/2.0/pipelines", "console/./../api/2.0/pipelines")) {
            int status = given().urlEncodingEnabled(false).redirects().follow(false).cookie(ConsoleAuthFilter.COOKIE, cookie)
                    .when().get(base + sneaky).then().extract().statusCode();
            assertTrue(status == 401 || status == 404, sneaky + " answered " + status);
        }
    }

    @Test
    @Order(2)
    void aPipelineCreatedThroughTheApiAppearsWithItsTablesAndRisingDeltaVersions() throws Exception {
        signedIn();
        String slot = unique("console_slot").toLowerCase();
        try (java.sql.Connection sql = postgres.connect(); Statement statement = sql.createStatement()) {
            statement.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        }
        String connection = DatabaseTest.connection(postgres, postgres.port());
        gateway = api().body("""
                {"name": "%s", "gateway_definition": {"connection_name": "%s", "gateway_storage_catalog": "main",
                 "gateway_storage_schema": "console", "gateway_storage_name": "console_gateway"}}
                """.formatted(unique("console_gateway"), connection))
                .when().post("/api/2.0/pipelines").then().statusCode(200).extract().path("pipeline_id");
        catalog = unique("console");
        pipeline = api().body(ControlJson.toJson(java.util.Map.of(
                "name", XSS_PIPELINE_NAME + unique(""),
                "continuous", false,
                "ingestion_definition", java.util.Map.of(
                        "ingestion_gateway_id", gateway,
                        "objects", List.of(
                                java.util.Map.of("table", java.util.Map.of("source_catalog", "postgres", "source_schema", "public",
                                        "source_table", "orders", "destination_catalog", catalog, "destination_schema", "shop")),
                                java.util.Map.of("table", java.util.Map.of("source_catalog", "postgres", "source_schema", "public",
                                        "source_table", XSS_TABLE, "destination_catalog", catalog, "destination_schema", "shop",
                                        "destination_table", XSS_DESTINATION))),
                        "source_configurations", List.of(java.util.Map.of("catalog", java.util.Map.of("source_catalog", "postgres",
                                "postgres", java.util.Map.of("slot_config", java.util.Map.of("slot_name", slot,
                                        "publication_name", "console_publication")))))))))
                .when().post("/api/2.0/pipelines").then().statusCode(200).extract().path("pipeline_id");

        commit("orders", 1, "0/1000000");
        commit(XSS_TABLE, 1, "0/1000000");
        open("console");
        eventually().untilAsserted(() -> {
            WebElement row = browser.findElement(By.cssSelector("tr[data-pipeline-id='" + pipeline + "']"));
            assertTrue(row.getText().contains(XSS_PIPELINE_NAME), row.getText());
        });
        clickWhenReady(By.cssSelector("tr[data-pipeline-id='" + pipeline + "'] a"));
        eventually().untilAsserted(() -> {
            assertTrue(text("flow").contains(slot), text("flow"));
            assertTrue(text("flow").contains(catalog + ".shop.orders"), text("flow"));
            assertTrue(text("slot").contains("reserved"), "the slot's wal_status, read from Postgres: " + text("slot"));
            assertEquals("1", deltaVersion(catalog + ".shop.orders"));
        });

        // apply-service commits more; the page reloads itself and shows the versions rising
        commit("orders", 2, "0/1000100");
        commit("orders", 3, "0/1000200");
        eventually().pollInterval(Duration.ofMillis(500)).until(() -> "3".equals(deltaVersion(catalog + ".shop.orders")));
        // while the gateway snapshots a table, its progress shows
        try (Connection asGateway = ApiTestSupport.nats(nats.url())) {
            asGateway.keyValue(KvBuckets.STATUS).put(KvKeys.tableStatus(gateway, TableId.of("public", "orders")), ControlJson.toBytes(
                    new TableStatus(gateway, "public", "orders", "SNAPSHOTTING", null, 500L, 1000L, null, null, System.currentTimeMillis())));
        }
        eventually().untilAsserted(() -> {
            open("console/pipelines/" + pipeline);
            WebElement progress = browser.findElement(By.cssSelector("#tables tr.table-row progress"));
            assertEquals("50", progress.getAttribute("value"));
            assertTrue(text("tables").contains("SNAPSHOTTING"), text("tables"));
        });
        // the lag history the sampler keeps in NATS fills the chart
        eventually().pollInterval(Duration.ofSeconds(1)).until(() -> {
            open("console/pipelines/" + pipeline);
            List<WebElement> charts = browser.findElements(By.cssSelector("figure.chart"));
            return !charts.isEmpty() && Integer.parseInt(charts.get(0).getAttribute("data-samples")) >= 2;
        });
        HeadlessChromium.screenshot(browser, "pipeline");
    }

    @Test
    @Order(3)
    void aFailedTableShowsAtTheTopOfTheOverviewWithItsFix() throws Exception {
        signedIn();
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.tableStatus(pipeline, TableId.of("public", XSS_TABLE)),
                    ControlJson.toBytes(new TableStatus(pipeline, "public", XSS_TABLE, "FAILED",
                            "table public." + XSS_TABLE + ": the staged changes since 0/1000000 expired from the staging stream."
                                    + " Remedy: run a full refresh of the table", null, null, null, null, System.currentTimeMillis())));
        }
        open("console");
        eventually().untilAsserted(() -> {
            WebElement failed = browser.findElements(By.cssSelector("#problems li.problem")).stream()
                    .filter(p -> p.getText().contains(catalog + ".shop." + XSS_DESTINATION)).findFirst().orElseThrow();
            assertTrue(failed.getText().contains("Remedy: run a full refresh of the table"), failed.getText());
            assertTrue(failed.getText().contains(XSS_TABLE), "identifiers render as text: " + failed.getText());
            assertEquals("Full refresh of this table", failed.findElement(By.cssSelector("button.action")).getText());
            // FAILED comes before anything healthy: the section is the first on the page
            assertEquals("attention", browser.findElement(By.cssSelector("main section")).getAttribute("id"));
        });
        HeadlessChromium.screenshot(browser, "overview");

        // the same signals for Prometheus, on /q/metrics (no token: no names there, only ids)
        eventually().pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            String metrics = given().when().get(base + "q/metrics").then().statusCode(200).extract().asString();
            assertTrue(metrics.contains("tideline_health_pipeline_failed_tables{pipeline=\"" + pipeline + "\"} 1.0"), "failed tables gauge");
            assertTrue(metrics.contains("tideline_health_slot_level{gateway=\"" + gateway + "\"} 1.0"), "slot level gauge (degraded: unread)");
            assertTrue(metrics.contains("tideline_health_slot_retained_bytes{gateway=\"" + gateway + "\"}"), "slot retained gauge");
            assertFalse(metrics.contains(XSS_TABLE), "no table names in metrics");
        });
    }

    @Test
    @Order(4)
    void anActionButtonStartsAnUpdateThroughTheApiThatCompletes() throws Exception {
        signedIn();
        open("console/pipelines/" + pipeline);
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            Subscription updates = connection.subscribe(Subjects.pipelineUpdate(pipeline));
            connection.flush(Duration.ofSeconds(10));

            clickWhenReady(By.xpath("//div[@class='actions']/button[text()='Start update']"));
            Alert confirm = waitFor(ExpectedConditions.alertIsPresent());
            assertTrue(confirm.getText().contains("Start an update of pipeline"), confirm.getText());
            confirm.accept();

            Message message = updates.nextMessage(WAIT);
            assertNotNull(message, "the button sent no update request through POST /api/2.0/pipelines/{id}/updates");
            UpdateRequest request = ControlJson.fromBytes(message.getData(), UpdateRequest.class);
            assertFalse(request.fullRefresh());

            // as apply-service: the update runs, then completes
            long now = System.currentTimeMillis();
            report(connection, new PipelineStatus.UpdateStatus(request.updateId(), UpdateState.RUNNING, false, now, null));
            report(connection, new PipelineStatus.UpdateStatus(request.updateId(), UpdateState.COMPLETED, false, now, null));
            eventually().pollInterval(Duration.ofMillis(250)).until(() -> {
                String shown = browser.findElements(By.id("action-result")).isEmpty() ? "" : text("action-result");
                List<WebElement> row = browser.findElements(By.cssSelector("tr[data-update-id='" + request.updateId() + "'] .update-state"));
                return shown.contains(request.updateId() + ": COMPLETED") || (!row.isEmpty() && row.get(0).getText().equals("COMPLETED"));
            });
            HeadlessChromium.screenshot(browser, "update-completed");

            // the full refresh of one table sends exactly that table
            open("console/pipelines/" + pipeline);
            clickWhenReady(By.xpath("//tr[contains(@class,'table-row')][td[text()='public." + XSS_TABLE + "']]//button"));
            Alert second = waitFor(ExpectedConditions.alertIsPresent());
            second.accept();
            UpdateRequest selective = ControlJson.fromBytes(updates.nextMessage(WAIT).getData(), UpdateRequest.class);
            assertEquals(List.of("shop." + XSS_DESTINATION), selective.fullRefreshSelection());
        }
    }

    @Test
    @Order(5)
    void theXssTableNameRendersAsTextOnEveryPage() throws Exception {
        signedIn();
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            // as apply-service announces a FAILED table: the event feed is read from the TIDELINE_EVENTS stream
            connection.jetStream().publish(Subjects.pipelineState(pipeline), ControlJson.toBytes(java.util.Map.of("pipeline_id", pipeline,
                    "message", "table public." + XSS_TABLE + " FAILED")));
        }
        open("console/events?q=" + pipeline);
        eventually().pollInterval(Duration.ofSeconds(1)).until(() -> {
            open("console/events?q=" + pipeline);
            return browser.findElement(By.id("events")).getText().contains("table public." + XSS_TABLE + " FAILED");
        });
        for (String page : List.of("console", "console/pipelines/" + pipeline, "console/pipelines/" + gateway, "console/events?q=" + pipeline)) {
            open(page);
            waitFor(ExpectedConditions.presenceOfElementLocated(By.tagName("h1")));
            assertNoAlert();
            assertTrue(browser.findElements(By.cssSelector("img[src='x'], main script, main b, main i")).isEmpty(), "markup from a name in " + page);
        }
        open("console/pipelines/" + pipeline);
        eventually().untilAsserted(() -> {
            assertTrue(browser.findElement(By.tagName("main")).getText().contains(XSS_TABLE));
            assertTrue(browser.findElement(By.tagName("h1")).getText().contains(XSS_PIPELINE_NAME));
        });
    }

    // --- helpers

    private void commit(String table, long version, String lsn) throws Exception {
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.tableStatus(pipeline, TableId.of("public", table)), ControlJson.toBytes(
                    new TableStatus(pipeline, "public", table, "COMMITTED", null, 10 * version, null, lsn, version, System.currentTimeMillis())));
        }
    }

    private void report(Connection connection, PipelineStatus.UpdateStatus update) throws Exception {
        connection.keyValue(KvBuckets.STATUS).put(KvKeys.pipeline(pipeline), ControlJson.toBytes(new PipelineStatus(pipeline,
                update.state() == UpdateState.COMPLETED ? PipelineState.IDLE : PipelineState.RUNNING, null, List.of(update),
                System.currentTimeMillis())));
    }

    private String deltaVersion(String destination) {
        for (WebElement row : browser.findElements(By.cssSelector("#tables tr.table-row"))) {
            List<WebElement> cells = row.findElements(By.tagName("td"));
            if (cells.size() > 4 && cells.get(1).getText().equals(destination)) {
                return cells.get(4).getText();
            }
        }
        return null;
    }

    private void signedIn() {
        if (browser.manage().getCookieNamed(ConsoleAuthFilter.COOKIE) == null) {
            signIn(ApiTestSupport.TOKEN);
            waitFor(ExpectedConditions.urlMatches(".*/console$"));
        }
    }

    private void signIn(String token) {
        open("console/sign-in");
        WebElement field = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        field.clear();
        field.sendKeys(token);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
    }

    private void open(String path) {
        browser.get(base + path);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private static void assertNoAlert() {
        try {
            Alert alert = browser.switchTo().alert();
            throw new AssertionError("a script from a name ran: alert '" + alert.getText() + "'");
        } catch (NoAlertPresentException expected) {
            // escaped
        }
    }

    private static <T> T waitFor(org.openqa.selenium.support.ui.ExpectedCondition<T> condition) {
        return new WebDriverWait(browser, WAIT, Duration.ofMillis(250)).ignoring(StaleElementReferenceException.class).until(condition);
    }

    /**
     * Awaitility with the browser's patience: pages reload themselves every few seconds, so an element read a moment
     * ago may be gone (stale) or not there yet; that is retried, anything else fails at once.
     */
    private static ConditionFactory eventually() {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsMatching(e -> e instanceof StaleElementReferenceException || e instanceof NoSuchElementException);
    }

    /** Clicks what {@code locator} finds, again if the page reloaded between finding and clicking. */
    private static void clickWhenReady(By locator) {
        eventually().until(() -> {
            new WebDriverWait(browser, WAIT, Duration.ofMillis(250)).until(ExpectedConditions.elementToBeClickable(locator)).click();
            return true;
        });
    }
}
