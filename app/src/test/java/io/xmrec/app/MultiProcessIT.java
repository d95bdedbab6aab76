package io.xmrec.app;

import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline as separate OS processes of the packaged app ({@code java -jar app/target/xmrec.jar},
 * dependencies from {@code lib/}: a library the tests' classpath has but the jar's lacks fails here),
 * configured only through XMREC_* environment variables (as the deployment files do), under a topic
 * prefix of its own: broker, registry, topics, holdout job, two updaters in one group, evaluator and a
 * replay of the earlier 80% of in and jp. Each updater owns one market; models and metrics arrive
 * for both. Then jp's updater is killed (SIGKILL): after the session timeout the other takes jp
 * over where it stood (nothing published again), and fine-tunes it on the later reviews; every
 * market's versions on the model topic run 1, 2, 3... without a gap or a repeat.
 */
class MultiProcessIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private Path logs;


    private Process role(String name, Map<String, String> env, String... args) throws IOException {
        Process p = start(name, env, args);
        processes.add(p);
        return p;
    }

    private Process start(String name, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = TestJvms.quickApp("1g");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("XMREC_"));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The packaged app's broker, its address once it wrote it. */
    private String broker(Process[] broker) throws Exception {
        Path file = logs.resolve("bootstrap");
        broker[0] = start("broker", Map.of(), "broker", "--bootstrap-file", file.toString());
        io.xmrec.core.testing.Await.require("the broker's address", Duration.ofSeconds(60), () -> Files.exists(file),
                () -> tail("broker"));
        return Files.readString(file).trim();
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
        String[] last = {""};
        io.xmrec.core.testing.Await.require(url, Duration.ofSeconds(seconds), () -> ok.test(last[0] = body(url)), () -> {
            StringBuilder b = new StringBuilder("last:\n" + last[0]);
            for (String r : roles) {
                b.append("\n---\n").append(tail(r));
            }
            return b.toString();
        });
        return last[0];
    }

    private static long metric(String text, String name, String market) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\{market=\"" + market + "\"\\} (\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private void ingest(Map<String, String> env, Path dir, String name) throws Exception {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("XMREC_DATA", dir.toString());
        Process p = role(name, e, "ingest", "--markets", "in,jp", "--speed", "max");
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, tail(name));
    }

    /** The metrics once nothing changed in them for 5 s. */
    private String settled(String url, String role) throws InterruptedException {
        return await(url, s -> {
            try {
                Thread.sleep(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return !s.isEmpty() && s.equals(body(url));
        }, 240, role);
    }

    /** Writes the earliest {@code share} of a market file's reviews (by date) to one file and the rest to another. */
    private static void splitByDate(Path in, double share, Path early, Path late) throws IOException {
        List<String> lines = Files.readAllLines(in);
        String header = lines.get(0);
        List<String> rows = new ArrayList<>(lines.subList(1, lines.size()));
        rows.sort(java.util.Comparator.comparing(l -> l.substring(l.lastIndexOf(' ') + 1)));
        int k = (int) (rows.size() * share);
        List<String> a = new ArrayList<>(List.of(header));
        a.addAll(rows.subList(0, k));
        List<String> b = new ArrayList<>(List.of(header));
        b.addAll(rows.subList(k, rows.size()));
        Files.write(early, a);
        Files.write(late, b);
    }

    @Test
    void theRolesRunAsProcessesAndAKilledUpdatersMarketMovesToTheOther() throws Exception {
        logs = Files.createTempDirectory("xmrec-multiprocess");
        Path data = TestData.dir();
        // the roles stop before the broker does (resources close in reverse order): a role whose broker is gone
        // waits for it until its stop's grace runs out
        Process[] broker = new Process[1];
        try (AutoCloseable stopBroker = () -> TestJvms.stop(broker[0] == null ? List.of() : List.of(broker[0]));
             AutoCloseable roles = this::stopRoles) {
            String bootstrap = broker(broker);
            int registryPort = FreePorts.next();
            Map<String, String> env = new LinkedHashMap<>();
            env.put("XMREC_TOPIC_PREFIX", "it."); // an installation of its own on a shared cluster
            env.put("XMREC_BOOTSTRAP", bootstrap);
            env.put("XMREC_REGISTRY", "http://127.0.0.1:" + registryPort);
            role("registry", Map.of("XMREC_TOPIC_PREFIX", "it.", "XMREC_BOOTSTRAP", bootstrap,
                    "XMREC_PORT", Integer.toString(registryPort)), "registry");
            await(env.get("XMREC_REGISTRY") + "/subjects", s -> s.startsWith("["), 60, "registry");
            Process topics = role("topics", env, "topics", "--markets", "in,jp");
            assertTrue(topics.waitFor(60, TimeUnit.SECONDS) && topics.exitValue() == 0, tail("topics"));
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                var names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertTrue(names.contains("it.xmrec.train") && names.contains("it.xmrec.reviews.jp")
                        && !names.contains("xmrec.train"), "prefixed topics: " + names);
            }

            Map<String, String> holdoutsEnv = new LinkedHashMap<>(env);
            holdoutsEnv.put("XMREC_CHECKPOINT_INTERVAL", "1"); // its transactions commit at checkpoints (10 s by default)
            role("holdouts", holdoutsEnv, "holdouts");
            Map<String, String> updaterEnv = new LinkedHashMap<>(env);
            updaterEnv.put("XMREC_BOOTSTRAP_INTERACTIONS", "2000");
            updaterEnv.put("XMREC_EPOCHS", "2");
            updaterEnv.put("XMREC_BOOTSTRAP_EPOCHS", "0");
            updaterEnv.put("XMREC_NO_REFERENCE", "true");
            updaterEnv.put("XMREC_RETRAIN_GROWTH", "100");
            updaterEnv.put("XMREC_RETRAIN_IDLE_SECONDS", "3600");
            updaterEnv.put("XMREC_SESSION_TIMEOUT_MS", "6000");
            updaterEnv.put("XMREC_REFRESH_GROWTH", "0"); // no own-model retrains: their snapshots are not what is tested
            updaterEnv.put("XMREC_METHOD", "forec"); // one recipe: the per-market choice's dozen are not what is tested
            Map<String, Process> updaters = new LinkedHashMap<>();
            Map<String, String> metricsUrl = new LinkedHashMap<>();
            for (String name : List.of("updater-a", "updater-b")) {
                int port = FreePorts.next();
                Map<String, String> e = new LinkedHashMap<>(updaterEnv);
                e.put("XMREC_HTTP_PORT", Integer.toString(port));
                updaters.put(name, role(name, e, "updater"));
                metricsUrl.put(name, "http://127.0.0.1:" + port + "/metrics");
            }
            Map<String, String> evalEnv = new LinkedHashMap<>(env);
            int evalPort = FreePorts.next();
            evalEnv.put("XMREC_PORT", Integer.toString(evalPort));
            evalEnv.put("XMREC_STATE_DIR", Files.createDirectories(logs.resolve("evaluator-state")).toString());
            role("evaluator", evalEnv, "evaluator");
            // the reviews up to a day of each market, and later the rest
            Path early = Files.createDirectories(logs.resolve("data-early"));
            Path late = Files.createDirectories(logs.resolve("data-late"));
            for (String m : List.of("in", "jp")) {
                splitByDate(data.resolve(m + "_5core.txt"), 0.8, early.resolve(m + "_5core.txt"), late.resolve(m + "_5core.txt"));
            }
            ingest(env, early, "ingest-early");

            // each updater owns one market, models for both, measured by the evaluator
            await(metricsUrl.get("updater-a"), s -> s.contains("xmrec_updater_owned_markets 1"), 120, "updater-a");
            await(metricsUrl.get("updater-b"), s -> s.contains("xmrec_updater_owned_markets 1"), 120, "updater-b");
            Map<String, String> owner = new LinkedHashMap<>();
            for (String u : updaters.keySet()) {
                String text = await(metricsUrl.get(u), s -> metric(s, "xmrec_updater_model_version", "in") >= 1
                        || metric(s, "xmrec_updater_model_version", "jp") >= 1, 240, "updater-a", "updater-b", "holdouts");
                owner.put(metric(text, "xmrec_updater_model_version", "in") >= 1 ? "in" : "jp", u);
            }
            assertEquals(2, owner.size(), "one market each: " + owner);
            await("http://127.0.0.1:" + evalPort + "/metrics",
                    s -> s.contains("xmrec_eval_ndcg_at_10{market=\"in\",split=\"test\"}")
                            && s.contains("xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test\"}"), 120, "evaluator");

            // kill jp's updater without warning once the group's first trunk is out and it has worked through what
            // arrived; the other takes jp over
            String killed = owner.get("jp");
            String survivor = owner.get("in");
            io.xmrec.core.testing.Await.require("the group's first trunk", Duration.ofSeconds(240),
                    () -> updaters.keySet().stream().anyMatch(u -> body(metricsUrl.get(u))
                            .matches("(?s).*\\nxmrec_updater_trunks_total [1-9].*")),
                    () -> tail(killed) + "\n---\n" + tail(survivor));
            String before = settled(metricsUrl.get(killed), killed);
            long jpBefore = metric(before, "xmrec_updater_model_version", "jp");
            updaters.get(killed).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            await(metricsUrl.get(survivor), s -> metric(s, "xmrec_updater_model_version", "jp") >= jpBefore
                    && s.contains("xmrec_updater_owned_markets 2"), 60, survivor);
            Thread.sleep(3000);
            // taken over where the killed one stood: no new trunk and no fresh snapshot of jp (what still arrives
            // from the holdout job may go out as deltas on top of the killed one's last version)
            String survivorLog = Files.readString(logs.resolve(survivor + ".log"));
            String afterTakeOver = survivorLog.substring(survivorLog.indexOf("took jp over at v" + jpBefore));
            assertFalse(afterTakeOver.contains("updater: trunk v"), "a trunk after the take-over:\n" + afterTakeOver);
            assertFalse(java.util.regex.Pattern.compile("updater: jp v\\d+ from trunk").matcher(afterTakeOver).find(),
                    "jp re-published from a trunk:\n" + afterTakeOver);

            // later reviews: the survivor fine-tunes both markets, jp's versions going on from the killed one's
            ingest(env, late, "ingest-late");
            await(metricsUrl.get(survivor), s -> metric(s, "xmrec_updater_model_version", "jp") > jpBefore, 120,
                    survivor, "holdouts");
            // every version of each market once, over snapshots and deltas, with no gap
            Map<String, java.util.TreeSet<Long>> versions = new LinkedHashMap<>();
            Map<String, Integer> count = new LinkedHashMap<>();
            io.xmrec.schemas.registry.AvroSerde serde = new io.xmrec.schemas.registry.AvroSerde(
                    new io.xmrec.schemas.registry.RegistryClient(env.get("XMREC_REGISTRY")));
            io.xmrec.schemas.TopicReader.readToEnd(bootstrap, Map.of(), "it.xmrec.models", r -> {
                var m = serde.deserialize(r.value(), io.xmrec.schemas.ModelRecord.class);
                if (!m.getReference()) {
                    versions.computeIfAbsent(m.getMarket(), k -> new java.util.TreeSet<>()).add(m.getVersion());
                    count.merge(m.getMarket(), 1, Integer::sum);
                }
            });
            io.xmrec.schemas.TopicReader.readToEnd(bootstrap, Map.of(), "it.xmrec.model-deltas", r -> {
                var d = serde.deserialize(r.value(), io.xmrec.schemas.ModelDelta.class);
                versions.computeIfAbsent(d.getMarket(), k -> new java.util.TreeSet<>()).add(d.getVersion());
                count.merge(d.getMarket(), 1, Integer::sum);
            });
            for (Map.Entry<String, java.util.TreeSet<Long>> e : versions.entrySet()) {
                assertEquals(e.getValue().size(), (int) count.get(e.getKey()), "a version published twice: " + versions);
                assertEquals(e.getValue().size(), (long) e.getValue().last(), "a gap: " + versions);
            }
        }
    }

    private void stopRoles() throws InterruptedException {
        TestJvms.stop(processes);
    }
}
