package dev.tideline.testing;

import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real headless Chromium from the distribution's packages ({@code chromium}, {@code chromium-driver}), driven
 * by Selenium through the system chromedriver. Nothing is downloaded: the driver and the browser are given by
 * path, so Selenium Manager has nothing to look up. A machine without them fails the test, naming the packages
 * ({@code deploy/local/test.sh} installs them) — a browser test that skips silently would prove nothing.
 *
 * <p>{@code TIDELINE_CHROMIUM} and {@code TIDELINE_CHROMEDRIVER} override the paths. A module using this declares
 * {@code selenium-chrome-driver} (and {@code selenium-support}) as test dependencies itself: this module has them
 * only as optional.
 */
public final class HeadlessChromium {

    private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
    /** Where screenshots of the main pages go (build output; docs/ holds copies chosen by hand). */
    public static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    private HeadlessChromium() {
    }

    /** Starts a headless Chromium; quit it when done. */
    public static ChromeDriver start() {
        Path browser = find("TIDELINE_CHROMIUM", BROWSERS, "chromium");
        Path driver = find("TIDELINE_CHROMEDRIVER", DRIVERS, "chromium-driver");
        System.setProperty("webdriver.chrome.driver", driver.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        // --no-sandbox: tests run as root in CI, where Chromium's sandbox refuses to start;
        // --disable-dev-shm-usage: containers have a tiny /dev/shm.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1100",
                "--lang=en-US", "--no-first-run", "--disable-extensions", "--disable-background-networking");
        options.setPageLoadTimeout(Duration.ofSeconds(120));
        options.setScriptTimeout(Duration.ofSeconds(60));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(120)).build();
        return new ChromeDriver(service, options);
    }

    /**
     * Saves a screenshot of the whole current page (the window grown to the page's height for it) as
     * {@code target/console-screenshots/<name>.png}.
     */
    public static Path screenshot(ChromeDriver driver, String name) {
        Dimension window = driver.manage().window().getSize();
        try {
            Object height = driver.executeScript("return document.documentElement.scrollHeight");
            int pageHeight = height instanceof Number n ? n.intValue() : window.getHeight();
            driver.manage().window().setSize(new Dimension(window.getWidth(), Math.min(6000, Math.max(window.getHeight(), pageHeight + 100))));
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot save screenshot " + name + ": " + e.getMessage(), e);
        } finally {
            driver.manage().window().setSize(window);
        }
    }

    private static Path find(String variable, List<String> candidates, String debianPackage) {
        String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (Files.isExecutable(path)) {
                return path;
            }
            throw new IllegalStateException(variable + "=" + configured + " is not an executable file");
        }
        for (String candidate : candidates) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        throw new IllegalStateException("the console's browser tests need Debian's '" + debianPackage + "' package (none of " + candidates
                + " exists): run deploy/local/test.sh, which installs chromium and chromium-driver, or apt-get install chromium"
                + " chromium-driver, or set " + variable);
    }
}
