package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A Flink session cluster of separate JVMs with Flink's own classes only (no xmrec, no Kafka
 * connector: those come from the job jar): a JobManager (standalone session entry point) and any
 * number of TaskManagers, the holdout job's jar uploaded and run through Flink's REST API, as an
 * operator runs it. For {@link FlinkSessionClusterIT} and the fault bench ({@link FaultBench}), which
 * also kills and restarts its parts and restores the job from its newest checkpoint on disk.
 */
final class FlinkSession implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

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

    private final Path dir;
    private final Path conf;
    private final String classpath;
    private final String base;
    private final Path checkpoints;
    private Process jobManager;
    private final List<Process> taskManagers = new ArrayList<>();
    private final List<String> jvmFlags;

    /**
     * A cluster under {@code dir} (config, logs, uploads, checkpoints) whose JVMs run on the given
     * class path entries (filtered: xmrec's own classes and what the job jar shades are left out), with
     * {@code jvmFlags} added to each JVM's command.
     */
    FlinkSession(Path dir, List<String> classpath, int restPort, int rpcPort, int slotsPerTaskManager,
            List<String> jvmFlags) throws IOException {
        this.dir = dir;
        this.jvmFlags = List.copyOf(jvmFlags);
        this.conf = Files.createDirectories(dir.resolve("conf"));
        this.classpath = clusterClasspath(classpath);
        this.base = "http://localhost:" + restPort;
        this.checkpoints = Files.createDirectories(dir.resolve("checkpoints"));
        Files.writeString(conf.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: localhost",
                "jobmanager.rpc.port: " + rpcPort,
                "jobmanager.bind-host: localhost",
                "jobmanager.memory.process.size: 1024m",
                "rest.address: localhost",
                "rest.bind-address: localhost",
                "rest.port: " + restPort,
                "taskmanager.host: localhost",
                "taskmanager.bind-host: localhost",
                "taskmanager.numberOfTaskSlots: " + slotsPerTaskManager,
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
                // a lost TaskManager or JobManager is noticed in seconds, not Flink's default 50 s
                "heartbeat.interval: 2000",
                "heartbeat.timeout: 10000",
                "restart-strategy.type: fixed-delay",
                "restart-strategy.fixed-delay.attempts: 1000",
                "restart-strategy.fixed-delay.delay: 2 s",
                // checkpoints on disk, kept when the job fails or is cancelled, so a new JobManager restores them
                "execution.checkpointing.dir: " + checkpoints.toUri(),
                "execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION",
                "execution.checkpointing.num-retained: 2",
                "web.upload.dir: " + Files.createDirectories(dir.resolve("uploads")),
                "io.tmp.dirs: " + Files.createDirectories(dir.resolve("tmp")), ""));
    }

    /** Class path entries without xmrec's own classes, what the job jar shades, and what a cluster does not need. */
    static String clusterClasspath(List<String> entries) {
        List<String> keep = new ArrayList<>();
        for (String e : entries) {
            String n = e.replace('\\', '/');
            boolean ours = n.contains("/target/classes") || n.contains("/target/test-classes") || n.contains("xmrec-")
                    || n.endsWith("xmrec.jar");
            boolean shaded = n.contains("flink-connector-kafka") || n.contains("flink-connector-base")
                    || n.contains("/kafka-clients") || n.contains("/avro/") || n.contains("/avro-");
            boolean unrelated = n.contains("deeplearning4j") || n.contains("/nd4j") || n.contains("bytedeco")
                    || n.contains("selenium") || n.contains("/kafka_") || n.contains("kafka-server")
                    || n.contains("kafka-streams") || n.contains("connect-") || n.contains("/kafka-");
            if (!ours && !shaded && !unrelated) {
                keep.add(e);
            }
        }
        return String.join(File.pathSeparator, keep);
    }

    /** Every jar of a directory (the app's {@code target/lib}). */
    static List<String> jarsIn(Path lib) throws IOException {
        try (Stream<Path> files = Files.list(lib)) {
            return files.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted().toList();
        }
    }

    private Process start(String main, Path log, String heap) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(TestJvms.java());
        cmd.add(heap);
        cmd.addAll(jvmFlags);
        cmd.addAll(OPENS);
        cmd.addAll(List.of("-cp", classpath, main, "--configDir", conf.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    Path jobManagerLog() {
        return dir.resolve("jobmanager.log");
    }

    Path taskManagerLog(int i) {
        return dir.resolve("taskmanager-" + i + ".log");
    }

    /** Starts (or restarts) the JobManager. */
    Process startJobManager() throws IOException {
        jobManager = start("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", jobManagerLog(), "-Xmx512m");
        return jobManager;
    }

    /** Starts TaskManager {@code i} (0-based), or restarts it when it ran before. */
    Process startTaskManager(int i) throws IOException {
        while (taskManagers.size() <= i) {
            taskManagers.add(null);
        }
        Process p = start("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", taskManagerLog(i), "-Xmx768m");
        taskManagers.set(i, p);
        return p;
    }

    Process jobManager() {
        return jobManager;
    }

    Process taskManager(int i) {
        return taskManagers.get(i);
    }

    /** Waits until {@code n} TaskManagers are registered; fails with the logs' tails when a JVM died or time ran out. */
    void awaitTaskManagers(int n, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (get("/taskmanagers").get("taskmanagers").size() >= n) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (jobManager != null && !jobManager.isAlive()) {
                throw new IllegalStateException("the JobManager died:\n" + tail(jobManagerLog()));
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(n + " TaskManagers did not register in " + timeout.toSeconds() + " s:\n"
                + tail(jobManagerLog()));
    }

    /** Uploads a job jar; returns its id for {@link #run}. */
    String upload(Path jar) throws Exception {
        String boundary = "xmrec" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        if (up.statusCode() != 200) {
            throw new IOException("jar upload: HTTP " + up.statusCode() + " " + up.body());
        }
        String uploaded = JSON.readTree(up.body()).get("filename").asText();
        return uploaded.substring(uploaded.lastIndexOf('/') + 1);
    }

    /** Runs an uploaded jar's entry class with these arguments, restored from {@code savepoint} when not null; the job id. */
    String run(String jarId, String entryClass, List<String> args, int parallelism, Path savepoint) throws Exception {
        Map<String, Object> req = new java.util.LinkedHashMap<>(Map.of("entryClass", entryClass, "programArgsList", args,
                "parallelism", parallelism));
        if (savepoint != null) {
            req.put("savepointPath", savepoint.toUri().toString());
        }
        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req)))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (started.statusCode() != 200) {
            throw new IOException("job run: HTTP " + started.statusCode() + " " + started.body() + "\n" + tail(jobManagerLog()));
        }
        return JSON.readTree(started.body()).get("jobid").asText();
    }

    /** The job's state (RUNNING, RESTARTING, FINISHED...), or "UNREACHABLE" when the REST API does not answer. */
    String state(String job) {
        try {
            return get("/jobs/" + job).get("state").asText();
        } catch (Exception e) {
            return "UNREACHABLE";
        }
    }

    /** Epoch millis when the job last entered RUNNING (after a restart: the restart's), or -1 (not running, or no answer). */
    long runningSinceMillis(String job) {
        try {
            JsonNode j = get("/jobs/" + job);
            return "RUNNING".equals(j.path("state").asText()) ? j.path("timestamps").path("RUNNING").asLong(-1) : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** Epoch millis of the newest completed checkpoint of the job, or -1 (none, or no answer). */
    long lastCheckpointMillis(String job) {
        try {
            JsonNode c = get("/jobs/" + job + "/checkpoints").path("latest").path("completed");
            return c.isMissingNode() || c.isNull() ? -1 : c.path("latest_ack_timestamp").asLong(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** The newest completed checkpoint on disk of any job ({@code chk-N} with its metadata), or null. */
    Path newestCheckpoint() throws IOException {
        Path best = null;
        long bestN = -1;
        try (Stream<Path> all = Files.walk(checkpoints, 2)) {
            for (Path p : all.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("chk-") && Files.exists(p.resolve("_metadata"))) {
                    long t = Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
                    if (t > bestN) {
                        bestN = t;
                        best = p;
                    }
                }
            }
        }
        return best;
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** The last 40 lines of a log. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        List<Process> all = new ArrayList<>(taskManagers);
        all.add(jobManager);
        for (Process p : all) {
            if (p != null) {
                p.destroy();
            }
        }
        for (Process p : all) {
            if (p != null && !p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
