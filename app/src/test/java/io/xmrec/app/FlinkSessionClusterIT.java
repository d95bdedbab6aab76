package io.xmrec.app;

import io.xmrec.embedded.EmbeddedKafka;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.RegistryServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The holdout job jar on a real Flink session cluster: a JobManager (standalone session entry point)
 * and a TaskManager, each its own JVM with Flink's own classes only (no xmrec, no Kafka connector:
 * those come from the job jar), the jar uploaded and started through Flink's REST API, reading
 * and writing the in-process broker of this JVM.
 */
class FlinkSessionClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** This JVM's classpath without xmrec's own classes and what the job jar shades. */
    private static String clusterClasspath() {
        List<String> keep = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = e.replace('\\', '/');
            boolean ours = n.contains("/target/") || n.contains("xmrec-"); // (the app jar pulls lib/ in by its manifest)
            boolean shaded = n.contains("flink-connector-kafka") || n.contains("flink-connector-base")
                    || n.contains("/kafka-clients") || n.contains("/avro/");
            boolean unrelated = n.contains("deeplearning4j") || n.contains("/nd4j") || n.contains("bytedeco")
                    || n.contains("selenium") || n.contains("/org/apache/kafka/kafka_") || n.contains("kafka-server")
                    || n.contains("kafka-streams") || n.contains("connect-");
            if (!ours && !shaded && !unrelated) {
                keep.add(e);
            }
        }
        return String.join(File.pathSeparator, keep);
    }

    /** The module openings Flink's start scripts give its JVMs on Java 17 (env.java.opts.all of its default config). */
    private static final List<String> OPENS = List.of("--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private static Process start(String main, Path conf, Path log, String heap) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(heap);
        cmd.addAll(OPENS);
        cmd.addAll(List.of("-cp", clusterClasspath(), main, "--configDir", conf.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Test
    void holdoutJobJarRunsOnASessionClusterThroughTheRestApi() throws Exception {
        Path jar;
        try (var files = Files.list(Path.of("../stream-processors/target"))) {
            jar = files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no job jar in ../stream-processors/target: package it first"));
        }
        MarketData in = TestData.market("in");
        Path dir = Files.createTempDirectory("xmrec-flink-session");
        Path conf = Files.createDirectories(dir.resolve("conf"));
        int rest = freePort();
        int rpc = freePort();
        Files.writeString(conf.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: localhost",
                "jobmanager.rpc.port: " + rpc,
                "jobmanager.bind-host: localhost",
                "jobmanager.memory.process.size: 1024m",
                "rest.address: localhost",
                "rest.bind-address: localhost",
                "rest.port: " + rest,
                "taskmanager.host: localhost",
                "taskmanager.bind-host: localhost",
                "taskmanager.numberOfTaskSlots: 2",
                // what Flink's start scripts compute and pass: the TaskManager needs them spelled out
                "taskmanager.cpu.cores: 2.0",
                "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.framework.off-heap.size: 128m",
                "taskmanager.memory.task.heap.size: 384m",
                "taskmanager.memory.task.off-heap.size: 0m",
                "taskmanager.memory.network.min: 64m",
                "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.managed.size: 128m",
                "taskmanager.memory.jvm-metaspace.size: 128m",
                "taskmanager.memory.jvm-overhead.min: 64m",
                "taskmanager.memory.jvm-overhead.max: 64m",
                "parallelism.default: 1",
                "web.upload.dir: " + Files.createDirectories(dir.resolve("uploads")),
                "io.tmp.dirs: " + Files.createDirectories(dir.resolve("tmp")), ""));
        Path jmLog = dir.resolve("jobmanager.log");
        Path tmLog = dir.resolve("taskmanager.log");
        Process jm = null;
        Process tm = null;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            String b = kafka.bootstrapServers();
            TopicSetup.create(b, Map.of(), List.of("in"), 1);
            IngestCommand.ingest(b, Map.of(), registry.url(), Map.of("in", in), 0,
                    new java.io.PrintWriter(new java.io.StringWriter()));

            jm = start("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf, jmLog, "-Xmx512m");
            tm = start("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf, tmLog, "-Xmx768m");
            String base = "http://localhost:" + rest;
            long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            boolean ready = false;
            while (!ready && System.nanoTime() < until) {
                try {
                    ready = get(base + "/taskmanagers").get("taskmanagers").size() > 0;
                } catch (IOException e) {
                    // not up yet
                }
                if (!ready) {
                    assertTrue(jm.isAlive(), "the JobManager died:\n" + tail(jmLog));
                    assertTrue(tm.isAlive(), "the TaskManager died:\n" + tail(tmLog));
                    Thread.sleep(500);
                }
            }
            assertTrue(ready, "no TaskManager registered in 120 s:\n" + tail(jmLog) + "\n---\n" + tail(tmLog));

            // upload the jar (multipart) and run it
            String boundary = "xmrec" + UUID.randomUUID();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                    + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(jar));
            body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, up.statusCode(), up.body());
            String uploaded = JSON.readTree(up.body()).get("filename").asText();
            String jarId = uploaded.substring(uploaded.lastIndexOf('/') + 1);
            String run = JSON.writeValueAsString(Map.of("entryClass", "io.xmrec.stream.HoldoutJobMain",
                    "programArgsList", List.of("--bootstrap", b, "--registry", registry.url(), "--checkpoint-seconds",
                            "2", "--bounded"), "parallelism", 1));
            HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(run)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, started.statusCode(), started.body() + "\n" + tail(jmLog));
            String job = JSON.readTree(started.body()).get("jobid").asText();

            // bounded: it reads what is there, commits its transactions and finishes
            String state = "";
            until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (System.nanoTime() < until && !Set.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
                state = get(base + "/jobs/" + job).get("state").asText();
                Thread.sleep(500);
            }
            assertEquals("FINISHED", state, "job " + job + ":\n" + tail(jmLog) + "\n---\n" + tail(tmLog));

            // what the job wrote: a holdout per user, every interaction but each user's last two in training
            Map<String, Integer> perUser = new HashMap<>();
            for (Interaction i : in.interactions()) {
                perUser.merge(i.user(), 1, Integer::sum);
            }
            long expectedTrain = perUser.values().stream().mapToLong(n -> Math.max(0, n - 2)).sum();
            Set<String> holdoutUsers = new HashSet<>();
            long[] train = {0};
            Map<String, Object> committed = Map.of("isolation.level", "read_committed");
            TopicReader.readToEnd(b, committed, Topics.HOLDOUTS, r -> holdoutUsers.add(r.key()));
            TopicReader.readToEnd(b, committed, Topics.TRAIN, r -> train[0]++);
            assertEquals(perUser.size(), holdoutUsers.size(), "a holdout per user of in");
            assertEquals(expectedTrain, train[0], "training interactions");
        } finally {
            for (Process p : new Process[] {tm, jm}) {
                if (p != null) {
                    p.destroy();
                    if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
    }
}
