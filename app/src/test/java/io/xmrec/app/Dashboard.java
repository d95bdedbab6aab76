package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Drives the dashboard in headless Chromium (Debian's chromium and chromium-driver; `.ci/run`
 * installs them): numbers appear for every market, and change when a new model version arrives.
 */
final class Dashboard {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File DRIVER = new File("/usr/bin/chromedriver");

    private Dashboard() {
    }

    static void checkNumbersAppearAndChange(EmbeddedSystem sys, Collection<String> markets) throws Exception {
        if (!CHROMIUM.canExecute() || !DRIVER.canExecute()) {
            if (System.getenv("CI") != null) {
                fail("headless Chromium is needed for the dashboard test: apt-get install chromium chromium-driver");
            }
            assumeTrue(false, "no Chromium here: the dashboard test is skipped (CI installs it)");
        }
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory("xmrec-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).build();
        WebDriver driver = new ChromeDriver(service, o);
        try {
            driver.get(sys.httpUrl() + "/");
            Map<String, String> before = new java.util.TreeMap<>();
            for (String m : markets) {
                before.put(m, waitForNumber(driver, "version-" + m));
                for (io.xmrec.eval.live.LiveMetric metric : io.xmrec.eval.live.LiveMetric.values()) {
                    waitForNumber(driver, metric.field + "-test-" + m); // a column per metric of the table
                }
                waitForNumber(driver, "head-reference-" + m);
                waitForNumber(driver, "events-" + m);
                waitForNumber(driver, "published-" + m);
            }
            // publish the current model of the first market again as a much later version: the page must follow
            String market = markets.iterator().next();
            ServedModel served = sys.models().model(market);
            ModelRecord current = ModelRecords.record(served, "forec");
            current.setVersion(served.version() + 1000);
            AvroSerde serde = new AvroSerde(new RegistryClient(sys.registryUrl()));
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", sys.bootstrapServers(),
                    "max.request.size", 64 << 20), new StringSerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(Topics.MODELS, market, serde.serialize(Topics.MODELS, current))).get();
            }
            String want = Long.toString(current.getVersion());
            String[] last = {before.get(market)};
            io.xmrec.core.testing.Await.until(Duration.ofSeconds(60),
                    () -> (last[0] = driver.findElement(By.id("version-" + market)).getText()).equals(want));
            String shown = last[0];
            assertTrue(shown.equals(want), "the dashboard shows model " + shown + " of " + market + ", not " + want);
        } finally {
            driver.quit();
        }
    }

    private static String waitForNumber(WebDriver driver, String id) throws InterruptedException {
        String[] text = {""};
        io.xmrec.core.testing.Await.require("a number in the dashboard's #" + id, Duration.ofSeconds(60), () -> {
            List<org.openqa.selenium.WebElement> e = driver.findElements(By.id(id));
            text[0] = e.isEmpty() ? "" : e.get(0).getText();
            return text[0].matches("[0-9.]+");
        }, () -> "last: '" + text[0] + "'");
        return text[0];
    }
}
