package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedKafka;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pipeline as separate OS processes of the packaged app, configured only through XMREC_*
 * environment variables (as the deployment files do), under a topic prefix of its own: registry, topics, holdout job, updater,
 * evaluator and a replay of in and jp against the broker of this JVM. Models and metrics arrive
 * for both markets; then the updater is killed (SIGKILL) and a new one resumes from the model
 * topic: the versions carry on and nothing already trained is published again.
 */
class MultiProcessIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private Path logs;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process role(String name, Map<String, String> env, String... args) throws IOException {
        Path jar = Path.of(System.getProperty("xmrec.app.jar", "target/xmrec.jar"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0", "-jar",
                jar.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("XMREC_"));
        pb.environment().putAll(env);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private String tail(String name) {
        try {
            List<String> l = Files.readAllLines(logs.resolve(name + ".log"));
            return name + ":\n" + String.join("\n", l.subList(Math.max(0, l.size() - 30), l.size()));
        } catch (IOException e) {
            return name + ": no log";
        }
    }

    private static String body(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "";
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private String await(String url, Predicate<String> ok, int seconds, String... roles) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        String last = "";
        while (System.nanoTime() < until) {
            last = body(url);
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        StringBuilder b = new StringBuilder("waited " + seconds + " s for " + url + "; last:\n" + last);
        for (String r : roles) {
            b.append("\n---\n").append(tail(r));
        }
        fail(b.toString());
        return null;
    }

    private static long metric(String text, String name, String market) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\{market=\"" + market + "\"\\} (\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void theRolesRunAsProcessesAndAKilledUpdaterIsReplacedWithoutLosingItsPlace() throws Exception {
        logs = Files.createTempDirectory("xmrec-multiprocess");
        Path data = TestData.dir();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null)) {
            int registryPort = freePort();
            Map<String, String> env = new LinkedHashMap<>();
            env.put("XMREC_TOPIC_PREFIX", "it."); // an installation of its own on a shared cluster
            env.put("XMREC_BOOTSTRAP", kafka.bootstrapServers());
            env.put("XMREC_REGISTRY", "http://127.0.0.1:" + registryPort);
            role("registry", Map.of("XMREC_TOPIC_PREFIX", "it.", "XMREC_BOOTSTRAP", kafka.bootstrapServers(),
                    "XMREC_PORT", Integer.toString(registryPort)), "registry");
            await(env.get("XMREC_REGISTRY") + "/subjects", s -> s.startsWith("["), 60, "registry");
            Process topics = role("topics", env, "topics", "--markets", "in,jp");
            assertTrue(topics.waitFor(60, TimeUnit.SECONDS) && topics.exitValue() == 0, tail("topics"));
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                var names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertTrue(names.contains("it.xmrec.train") && names.contains("it.xmrec.reviews.jp")
                        && !names.contains("xmrec.train"), "prefixed topics: " + names);
            }

            role("holdouts", env, "holdouts");
            Map<String, String> updaterEnv = new LinkedHashMap<>(env);
            int updaterPort = freePort();
            updaterEnv.put("XMREC_HTTP_PORT", Integer.toString(updaterPort));
            updaterEnv.put("XMREC_BOOTSTRAP_INTERACTIONS", "2000");
            updaterEnv.put("XMREC_EPOCHS", "2");
            updaterEnv.put("XMREC_NO_REFERENCE", "true");
            updaterEnv.put("XMREC_RETRAIN_EVERY", "1000000");
            Process updater = role("updater", updaterEnv, "updater");
            Map<String, String> evalEnv = new LinkedHashMap<>(env);
            int evalPort = freePort();
            evalEnv.put("XMREC_PORT", Integer.toString(evalPort));
            evalEnv.put("XMREC_STATE_DIR", Files.createDirectories(logs.resolve("evaluator-state")).toString());
            role("evaluator", evalEnv, "evaluator");
            Map<String, String> ingestEnv = new LinkedHashMap<>(env);
            ingestEnv.put("XMREC_DATA", data.toString());
            Process ingest = role("ingest", ingestEnv, "ingest", "--markets", "in,jp", "--speed", "max");
            assertTrue(ingest.waitFor(120, TimeUnit.SECONDS) && ingest.exitValue() == 0, tail("ingest"));

            // models for both markets, measured by the evaluator
            String updaterMetrics = "http://127.0.0.1:" + updaterPort + "/metrics";
            await(updaterMetrics, s -> metric(s, "xmrec_updater_model_version", "in") >= 1
                    && metric(s, "xmrec_updater_model_version", "jp") >= 1, 240, "updater", "holdouts");
            await("http://127.0.0.1:" + evalPort + "/metrics",
                    s -> s.contains("xmrec_eval_ndcg_at_10{market=\"in\",split=\"test\"}")
                            && s.contains("xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test\"}"), 120, "evaluator");
            // let the updater work through what arrived, then kill it without warning
            String before = await(updaterMetrics, s -> {
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return !s.isEmpty() && s.equals(body(updaterMetrics)); // settled: nothing changed in 5 s
            }, 240, "updater");
            updater.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            long in = metric(before, "xmrec_updater_model_version", "in");
            long jp = metric(before, "xmrec_updater_model_version", "jp");

            Process second = role("updater-2", updaterEnv, "updater");
            String after = await(updaterMetrics, s -> metric(s, "xmrec_updater_model_version", "in") >= 0
                    && metric(s, "xmrec_updater_model_version", "jp") >= 0, 120, "updater-2");
            assertTrue(second.isAlive(), tail("updater-2"));
            assertEquals(in, metric(after, "xmrec_updater_model_version", "in"), "restored where the killed one stood");
            assertEquals(jp, metric(after, "xmrec_updater_model_version", "jp"));
            Thread.sleep(5000); // it reads the input again: everything there was already trained
            String later = body(updaterMetrics);
            assertTrue(later.contains("xmrec_updater_published_total 0"), "nothing published twice:\n" + later
                    + "\n" + tail("updater-2"));
        } finally {
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
