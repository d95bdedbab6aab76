package io.xmrec.app;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fault bench's driver (bench/faults.sh), with the tests because it is no part of the product: xmrec
 * on real clusters, every part its own process. Three KRaft brokers (each broker and controller, each
 * in a network namespace of its own on a bridge, so one can be cut off), replication factor 3 and
 * {@code min.insync.replicas} 2; a Flink session cluster (a JobManager, two TaskManagers with two slots
 * each) running the holdout job at parallelism 2 with checkpoints on disk; the registry, two updaters in
 * one group, two {@code serve} replicas, the evaluator; the markets replayed at a fixed speed while two
 * clients keep asking the replicas for recommendations (each tries the other replica once when one
 * fails, as a load balancer would). One fault at a time, each followed by its recovery; then the
 * accounting: input = train + held out + dead letters, the holdouts equal the offline split, no
 * training interaction twice, every market's model versions strictly increasing without a repeat.
 * Writes {@code result.md} (a section of bench/results/faults.md) and {@code quality.tsv} into its
 * work directory. Needs root (network namespaces).
 */
public final class FaultBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int BROKERS = 3;

    private final Path root;
    private final List<String> markets;
    private final String speed;
    private final Path work;
    private final boolean faults;
    private final String heap;
    private final double soakMinutes;
    private final int faultsAfter;
    private final java.time.LocalDate soakFrom;
    private final int sessionTimeoutMs = 10_000;
    private final SoakSampler sampler = new SoakSampler();
    private final long t0 = System.nanoTime();
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> roles = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new HashMap<>();
    private final List<String> timeline = new ArrayList<>();
    private final ConcurrentLinkedQueue<long[]> requests = new ConcurrentLinkedQueue<>(); // {start nanos, millis*1000, ok}
    private BrokerProcesses brokers;
    private String bootstrap;
    private String registry;
    private FlinkSession flink;
    private String jarId;
    private String job;
    private long replayStart;

    private Path data;

    private FaultBench(Path root, Path data, List<String> markets, String speed, Path work, boolean faults, String heap,
                       double soakMinutes, java.time.LocalDate soakFrom, int faultsAfter) {
        this.faultsAfter = faultsAfter;
        this.root = root;
        this.data = data;
        this.soakMinutes = soakMinutes;
        this.soakFrom = soakFrom;
        this.markets = markets;
        this.speed = speed;
        this.work = work;
        this.faults = faults;
        this.heap = heap;
    }

    /** {@code java -cp app/target/xmrec.jar:app/target/test-classes io.xmrec.app.FaultBench --data DIR --work DIR ...} */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of("--speed", "10", "--heap", "1g",
                "--faults", "all", "--soak-minutes", "0", "--soak-from", "2017-01-01",
                "--faults-after", "90"));
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("FaultBench: options are --name value; got '" + args[i] + "'");
            }
            o.put(args[i], args[++i]);
        }
        for (String need : List.of("--data", "--work")) {
            if (!o.containsKey(need)) {
                throw new IllegalArgumentException("FaultBench needs " + need);
            }
        }
        Path root = Path.of(System.getProperty("xmrec.home", ".")).toAbsolutePath().normalize();
        Path dataDir = Path.of(o.get("--data")).toAbsolutePath();
        // default: every market the data directory holds (its <market>_<anything>.txt files)
        List<String> markets = o.containsKey("--markets") ? List.of(o.get("--markets").split(","))
                : io.xmrec.core.data.DataDirectory.resolve(dataDir, Map.of(), msg -> { }).defaultMarkets();
        FaultBench b = new FaultBench(root, dataDir, markets,
                o.get("--speed"), Path.of(o.get("--work")).toAbsolutePath(), !o.get("--faults").equals("none"), o.get("--heap"),
                Double.parseDouble(o.get("--soak-minutes")), java.time.LocalDate.parse(o.get("--soak-from")),
                o.get("--faults-after").equals("ready") ? -1 : Integer.parseInt(o.get("--faults-after")));
        int rc;
        try {
            rc = b.run();
        } finally {
            b.stopAll();
        }
        System.exit(rc);
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void log(String what) {
        String line = String.format(Locale.ROOT, "%7.1f s  %s", seconds(), what);
        timeline.add(line);
        System.err.println(line);
    }


    private static void sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + ": " + out.trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void signal(Process p, String sig) {
        sh("kill", "-" + sig, Long.toString(p.pid()));
    }

    // ---- the network: a bridge, and a namespace per broker ----

    private static String ns(int b) {
        return "xfb-b" + b;
    }

    private static String hostOf(int b) {
        return "10.77.0." + (10 + b);
    }

    private static void teardownNet() {
        for (int b = 1; b <= BROKERS; b++) {
            try {
                sh("ip", "netns", "del", ns(b));
            } catch (IllegalStateException e) {
                // not there
            }
        }
        try {
            sh("ip", "link", "del", "xfb0");
        } catch (IllegalStateException e) {
            // not there
        }
    }

    private static void setupNet() {
        teardownNet();
        sh("ip", "link", "add", "xfb0", "type", "bridge");
        sh("ip", "addr", "add", "10.77.0.1/24", "dev", "xfb0");
        sh("ip", "link", "set", "xfb0", "up");
        for (int b = 1; b <= BROKERS; b++) {
            sh("ip", "netns", "add", ns(b));
            sh("ip", "link", "add", "xfb-v" + b, "type", "veth", "peer", "name", "xfb-p" + b);
            sh("ip", "link", "set", "xfb-p" + b, "netns", ns(b));
            sh("ip", "link", "set", "xfb-v" + b, "master", "xfb0");
            sh("ip", "link", "set", "xfb-v" + b, "up");
            sh("ip", "netns", "exec", ns(b), "ip", "addr", "add", hostOf(b) + "/24", "dev", "xfb-p" + b);
            sh("ip", "netns", "exec", ns(b), "ip", "link", "set", "xfb-p" + b, "up");
            sh("ip", "netns", "exec", ns(b), "ip", "link", "set", "lo", "up");
        }
    }

    // ---- processes ----

    private Process spawn(String name, List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("XMREC_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        roles.put(name, p);
        return p;
    }

    /** An xmrec role of the packaged app, configured by environment variables as the deployments do. */
    private Process xmrec(String name, String heapOf, Map<String, String> extraEnv, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(TestJvms.java(), "-Xmx" + heapOf, gcLog(name), "-jar",
                root.resolve("app/target/xmrec.jar").toString()));
        cmd.addAll(List.of(args));
        Map<String, String> env = new HashMap<>(Map.of("XMREC_BOOTSTRAP", bootstrap));
        if (registry != null) {
            env.put("XMREC_REGISTRY", registry);
        }
        env.putAll(extraEnv);
        return spawn(name, cmd, env);
    }

    /** The JVM flag that logs a role's collections (the soak reads its heap after GC from it); appended to on restarts. */
    private String gcLog(String name) {
        return "-Xlog:gc:file=" + work.resolve(name + "-gc.log") + "::filecount=0";
    }

    private Process startBroker(int b) throws IOException {
        return brokers.start(b, List.of(gcLog("broker-" + b)));
    }

    private Admin admin() {
        return brokers.admin();
    }

    private boolean fullyReplicated() {
        return brokers.fullyReplicated();
    }

    private static String body(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "";
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static boolean await(int seconds, BooleanSupplier ok) throws InterruptedException {
        return io.xmrec.core.testing.Await.until(Duration.ofSeconds(seconds), ok);
    }

    private void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what + " (logs in " + work + ")");
        }
    }

    // ---- the holdout job on the session cluster ----

    /** The holdout job's checkpoint interval on the session cluster (its transactions commit at checkpoints). */
    private static final Duration JOB_CHECKPOINTS = Duration.ofSeconds(3);

    private List<String> jobArgs() {
        return List.of("--bootstrap", bootstrap, "--registry", registry, "--checkpoint-seconds", Long.toString(JOB_CHECKPOINTS.toSeconds()));
    }

    /** The job entered RUNNING after {@code sinceMillis} (a restart after a fault) and completed a checkpoint since. */
    private boolean jobHealthySince(long sinceMillis) {
        long running = flink.runningSinceMillis(job);
        return running > sinceMillis && flink.lastCheckpointMillis(job) > running;
    }

    // ---- serving load: two clients, each with a preferred replica and the other as its fallback ----

    private Thread client(int preferred, List<String[]> users, AtomicBoolean stop, long seed) {
        Thread t = new Thread(() -> {
            Random r = new Random(seed);
            String[] urls = {"http://127.0.0.1:" + ports.get("serve-1"), "http://127.0.0.1:" + ports.get("serve-2")};
            while (!stop.get()) {
                String[] mu = users.get(r.nextInt(users.size()));
                long s = System.nanoTime();
                boolean ok = false;
                int noModel = 0;
                for (int attempt = 0; attempt < 2 && !ok; attempt++) {
                    String url = urls[(preferred + attempt) % 2] + "/recommendations/" + mu[0] + "/" + mu[1] + "?k=10";
                    try {
                        HttpResponse<Void> resp = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                                .build(), HttpResponse.BodyHandlers.discarding());
                        ok = resp.statusCode() == 200;
                        noModel += resp.statusCode() == 503 ? 1 : 0; // no model for the market on that replica yet
                    } catch (IOException e) {
                        // the other replica next
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                long micros = (System.nanoTime() - s) / 1000;
                // no model yet: a replica said it has none for the market and none answered (the other down, or
                // none either); one replica is down at a time, so the one that answered 503 holds every model there is
                requests.add(new long[] {s, micros, ok ? 1 : noModel > 0 ? 2 : 0});
                try {
                    Thread.sleep(40); // about 20 requests/s per client
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "client-" + preferred);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Requests started in [from, to): answered, failed, p99 milliseconds of those two, and those for a market
     * without a model yet (a market before its first model: a replica answered 503, as it should, and none 200).
     */
    private long[] window(long fromNanos, long toNanos) {
        List<Long> lat = new ArrayList<>();
        long ok = 0;
        long failed = 0;
        long noModel = 0;
        for (long[] q : requests) {
            if (q[0] >= fromNanos && q[0] < toNanos) {
                if (q[2] == 2) {
                    noModel++;
                    continue;
                }
                lat.add(q[1]);
                if (q[2] == 1) {
                    ok++;
                } else {
                    failed++;
                }
            }
        }
        lat.sort(null);
        long p99 = lat.isEmpty() ? 0 : lat.get(Math.min(lat.size() - 1, (int) Math.ceil(lat.size() * 0.99) - 1)) / 1000;
        return new long[] {ok, failed, p99, noModel};
    }

    // ---- the faults ----

    private record FaultRow(String fault, double at, double recovered, long answered, long failed, long p99, long noModel,
                            String note) {
    }

    private final List<FaultRow> rows = new ArrayList<>();

    private interface Action {
        String run() throws Exception; // returns a note
    }

    /** Runs one fault: {@code action} injects it and waits for the recovery; a row with the window's requests. */
    private void fault(String name, Action action) throws Exception {
        double at = seconds() - (replayStart - t0) / 1e9;
        long from = System.nanoTime();
        log("fault: " + name);
        String note = action.run();
        long to = System.nanoTime();
        long[] w = window(from, to);
        rows.add(new FaultRow(name, at, (to - from) / 1e9, w[0], w[1], w[2], w[3], note));
        log("recovered from '" + name + "' in " + String.format(Locale.ROOT, "%.1f", (to - from) / 1e9) + " s; requests "
                + w[0] + " answered, " + w[1] + " failed, p99 " + w[2] + " ms; " + note);
        Thread.sleep(15_000); // calm between faults
    }

    private String killBroker(int b, int downSeconds) throws Exception {
        brokers.kill(b);
        Thread.sleep(downSeconds * 1000L);
        startBroker(b);
        require(await(300, this::fullyReplicated), "broker " + b + " did not rejoin every ISR in 300 s");
        return "broker " + b + " down " + downSeconds + " s, every partition's replicas in sync again";
    }

    private String cutBroker(int b, int seconds) throws Exception {
        sh("ip", "link", "set", "xfb-v" + b, "down");
        Thread.sleep(seconds * 1000L - 3000);
        boolean shrunk = !fullyReplicated(); // asked of the two brokers the clients still reach
        Thread.sleep(3000);
        sh("ip", "link", "set", "xfb-v" + b, "up");
        require(await(300, this::fullyReplicated), "broker " + b + " did not rejoin every ISR in 300 s after the cut");
        return "broker " + b + " cut off " + seconds + " s (" + (shrunk ? "out of the ISRs" : "still in the ISRs")
                + " at its end), every partition's replicas in sync again";
    }

    private String killTaskManager(int i) throws Exception {
        long since = System.currentTimeMillis();
        signal(flink.taskManager(i), "KILL");
        require(await(300, () -> jobHealthySince(since)), "the job did not run and checkpoint again in 300 s");
        String note = "job running again on the other TaskManager and checkpointed";
        flink.startTaskManager(i);
        flink.awaitTaskManagers(2, Duration.ofSeconds(120));
        return note + "; TaskManager restarted";
    }

    private String killJobManager() throws Exception {
        signal(flink.jobManager(), "KILL");
        flink.jobManager().waitFor(10, TimeUnit.SECONDS);
        flink.startJobManager();
        flink.awaitTaskManagers(2, Duration.ofSeconds(180));
        Path checkpoint = flink.newestCheckpoint();
        require(checkpoint != null, "no completed checkpoint on disk to restore");
        jarId = flink.upload(root.resolve(jobJar()));
        long since = System.currentTimeMillis();
        job = flink.run(jarId, "io.xmrec.stream.HoldoutJobMain", jobArgs(), 2, checkpoint);
        require(await(300, () -> jobHealthySince(since)), "the restored job did not run and checkpoint in 300 s");
        return "JobManager restarted, job resubmitted from " + checkpoint.getParent().getFileName() + "/"
                + checkpoint.getFileName();
    }

    private Map<String, Integer> owners() {
        return owners(List.of("updater-1", "updater-2"));
    }

    /** How many of these updaters own each market (by their metrics). */
    private Map<String, Integer> owners(List<String> updaters) {
        Map<String, Integer> owned = new TreeMap<>();
        for (String u : updaters) {
            String m = body("http://127.0.0.1:" + ports.get(u) + "/metrics");
            Matcher x = Pattern.compile("^xmrec_updater_owns\\{market=\"([^\"]+)\"} 1(\\.0)?$", Pattern.MULTILINE).matcher(m);
            while (x.find()) {
                owned.merge(x.group(1), 1, Integer::sum);
            }
        }
        return owned;
    }

    /** Each of these markets owned by exactly one updater. */
    private boolean ownedOnce(Set<String> known) {
        Map<String, Integer> o = owners();
        return known.stream().allMatch(m -> o.getOrDefault(m, 0) == 1);
    }

    private String stopUpdater(String name) throws Exception {
        Set<String> known = new java.util.TreeSet<>(owners().keySet()); // the markets with data so far
        Process p = roles.get(name);
        signal(p, "STOP");
        long s = System.nanoTime();
        String other = name.equals("updater-1") ? "updater-2" : "updater-1"; // (the stopped one cannot answer)
        boolean takenOver = await(sessionTimeoutMs / 1000 + 10, () -> owners(List.of(other)).keySet().containsAll(known));
        double takeover = (System.nanoTime() - s) / 1e9;
        Thread.sleep(Math.max(0, sessionTimeoutMs + 10_000 - (System.nanoTime() - s) / 1_000_000));
        signal(p, "CONT");
        require(await(180, () -> ownedOnce(known)), "after SIGCONT the markets " + known + " were not owned once each in 180 s: "
                + owners());
        return name + " stopped " + (sessionTimeoutMs + 10_000) / 1000 + " s; " + (takenOver
                ? String.format(Locale.ROOT, "the other owned all %d markets %.0f s after SIGSTOP", known.size(), takeover)
                : "no take-over within the stop") + "; after SIGCONT each owned once";
    }

    /** The markets a replica has a model for. */
    private Set<String> served(String replica) {
        Set<String> out = new java.util.TreeSet<>();
        for (String m : markets) {
            if (!body("http://127.0.0.1:" + ports.get(replica) + "/recommendations/" + m + "/nobody?k=1").isEmpty()) {
                out.add(m);
            }
        }
        return out;
    }

    private String killServe(String name, String other) throws Exception {
        signal(roles.get(name), "KILL");
        roles.get(name).waitFor(10, TimeUnit.SECONDS);
        startServe(name);
        require(await(180, () -> {
            Set<String> mine = served(name);
            return !mine.isEmpty() && mine.containsAll(served(other));
        }), name + " did not serve what " + other + " serves in 180 s");
        return name + " restarted and serving every market " + other + " serves";
    }

    private void startServe(String name) throws IOException {
        xmrec(name, "768m", Map.of(), "serve", "--port", Integer.toString(ports.get(name)));
    }

    private String jobJar() throws IOException {
        try (var files = Files.list(root.resolve("stream-processors/target"))) {
            return root.relativize(files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no job jar in stream-processors/target: build first"))).toString();
        }
    }

    // ---- the run ----

    private int run() throws Exception {
        Files.createDirectories(work);
        SoakSampler.Loops loops = null;
        if (soakMinutes > 0) {
            Map<String, Path> original = io.xmrec.core.data.DataDirectory.resolve(data, Map.of(), msg -> { }).ensure(markets);
            loops = SoakSampler.writeLoops(original, soakFrom, soakMinutes, Double.parseDouble(speed), work.resolve("data"));
            data = work.resolve("data");
            log("soak data: " + loops.loops() + " loops of the reviews since " + soakFrom + " (" + loops.windowDays()
                    + " days each), shifted back and with new user ids: " + loops.reviews() + " reviews");
        }
        Map<String, MarketData> files = MarketFiles.load(data, markets, false, new PrintWriter(System.err, true));
        long events = files.values().stream().mapToLong(m -> m.interactions().size()).sum();
        setupNet();
        List<String> hosts = new ArrayList<>();
        for (int b = 1; b <= BROKERS; b++) {
            hosts.add(hostOf(b));
        }
        int[] brokerPorts = new int[BROKERS];
        int[] controllerPorts = new int[BROKERS];
        Arrays.fill(brokerPorts, 9092);
        Arrays.fill(controllerPorts, 9093);
        brokers = new BrokerProcesses(work, root.resolve("app/target/lib"), hosts, brokerPorts, controllerPorts,
                b -> List.of("ip", "netns", "exec", ns(b)));
        brokers.format();
        for (int b = 1; b <= BROKERS; b++) {
            startBroker(b);
        }
        bootstrap = brokers.bootstrap();
        require(await(180, this::fullyReplicated), "the three brokers did not form a cluster in 180 s");
        log("three brokers up: " + bootstrap);

        ports.put("registry", FreePorts.next());
        xmrec("registry", "256m", Map.of(), "registry", "--port", Integer.toString(ports.get("registry")));
        registry = "http://127.0.0.1:" + ports.get("registry");
        require(await(120, () -> !body(registry + "/subjects").isEmpty()), "the registry did not start");
        Process topics = xmrec("topics", "256m", Map.of(), "topics", "--markets", String.join(",", markets), "--partitions", "2");
        require(topics.waitFor(120, TimeUnit.SECONDS) && topics.exitValue() == 0, "xmrec topics failed");
        log("registry and topics (2 partitions, replication 3, min ISR 2)");

        // Flink's classes from the app's lib/, and its REST jar upload (flink-runtime-web) from this JVM's class path
        List<String> flinkClasspath = new ArrayList<>(FlinkSession.jarsIn(root.resolve("app/target/lib")));
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (e.contains("flink-runtime-web")) {
                flinkClasspath.add(e);
            }
        }
        flink = new FlinkSession(Files.createDirectories(work.resolve("flink")), flinkClasspath, FreePorts.next(), FreePorts.next(), 2, List.of());
        flink.startJobManager();
        flink.startTaskManager(0);
        flink.startTaskManager(1);
        flink.awaitTaskManagers(2, Duration.ofSeconds(180));
        jarId = flink.upload(root.resolve(jobJar()));
        long since = System.currentTimeMillis();
        job = flink.run(jarId, "io.xmrec.stream.HoldoutJobMain", jobArgs(), 2, null);
        require(await(180, () -> jobHealthySince(since)), "the holdout job did not start and checkpoint");
        log("Flink session cluster (JobManager, 2 TaskManagers x 2 slots), holdout job " + job + " at parallelism 2");

        for (String u : List.of("updater-1", "updater-2")) {
            ports.put(u, FreePorts.next());
            xmrec(u, heap.equals("1g") ? "2g" : heap, Map.of(), "updater", "--http-port", Integer.toString(ports.get(u)),
                    "--session-timeout-ms", Integer.toString(sessionTimeoutMs));
        }
        for (String s : List.of("serve-1", "serve-2")) {
            ports.put(s, FreePorts.next());
            startServe(s);
        }
        ports.put("evaluator", FreePorts.next());
        xmrec("evaluator", heap, Map.of(), "evaluator", "--port", Integer.toString(ports.get("evaluator")), "--state-dir",
                work.resolve("evaluator-state").toString());
        Thread.sleep(10_000);

        replayStart = System.nanoTime();
        Process ingest = xmrec("ingest", "512m", Map.of("XMREC_DATA", data.toString()), "ingest", "--markets",
                String.join(",", markets), "--speed", speed);
        log("replay of " + events + " events at " + speed + " days/s started");

        List<String[]> users = new ArrayList<>();
        Random pick = new Random(7);
        for (MarketData m : files.values()) {
            List<Interaction> xs = m.interactions();
            for (int i = 0; i < 200; i++) {
                users.add(new String[] {m.market(), xs.get(pick.nextInt(xs.size())).user()});
            }
        }
        Thread.sleep(30_000);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = List.of(client(0, users, stop, 1), client(1, users, stop, 2));
        Thread sampling = startSampling(stop);
        log("two clients asking both replicas; sampling every 10 s");
        if (faultsAfter < 0) { // --faults-after ready: once both replicas serve every market
            require(await(1800, () -> served("serve-1").containsAll(markets) && served("serve-2").containsAll(markets)),
                    "no model for every market on both replicas");
        } else {
            long faultsAt = replayStart + Duration.ofSeconds(faultsAfter).toNanos();
            Thread.sleep(Math.max(0, (faultsAt - System.nanoTime()) / 1_000_000));
        }

        if (faults) {
            fault("SIGKILL a broker (3), restart it after 15 s", () -> killBroker(3, 15));
            int leader = brokers.leaderOf(Topics.TRAIN, 0);
            fault("SIGKILL the leader of xmrec.train partition 0 (broker " + leader + "), restart it after 15 s",
                    () -> killBroker(leader, 15));
            fault("cut broker 2 off the others and the clients for 30 s (its veth down), then heal", () -> cutBroker(2, 30));
            fault("SIGKILL a TaskManager, restart it", () -> killTaskManager(1));
            fault("SIGKILL the JobManager, restart it, resubmit from the newest checkpoint", this::killJobManager);
            fault("SIGSTOP updater-2 for the session timeout + 10 s, then SIGCONT", () -> stopUpdater("updater-2"));
            fault("SIGKILL serve-2 while clients ask both, restart it", () -> killServe("serve-2", "serve-1"));
        }
        // the soak's steady part starts once both replicas serve every market
        require(await(1800, () -> served("serve-1").containsAll(markets) && served("serve-2").containsAll(markets)),
                "no model for every market on both replicas");
        double steadyFrom = sampler.now();
        log("both replicas serve every market");
        boolean replayed = ingest.waitFor(3600, TimeUnit.SECONDS);
        require(replayed && ingest.exitValue() == 0, "the replay failed: see ingest.log");
        double replaySeconds = (System.nanoTime() - replayStart) / 1e9;
        double steadyTo = sampler.now();
        log("replay done in " + Math.round(replaySeconds) + " s");
        if (loops == null) {
            settle();
        } // a soak measures while it streams; its last trunk on all the loops is not awaited
        stop.set(true);
        for (Thread t : clients) {
            t.join(5000);
        }
        sampling.interrupt();
        sampling.join(15_000);
        sampler.writeTsv(work.resolve("samples.tsv"));
        String soak = loops == null ? null : soakSummary(loops, steadyFrom, steadyTo);
        long[] all = window(0, Long.MAX_VALUE);
        log("settled");

        PipelineAudit.Result acc = PipelineAudit.audit(bootstrap, registry, files, events, JOB_CHECKPOINTS);
        String quality = body("http://127.0.0.1:" + ports.get("evaluator") + "/metrics");
        writeResult(events, replaySeconds, acc, all, quality, soak);
        return acc.ok() ? 0 : 1;
    }

    /** Until a trunk exists, none trains, and no updater's counters changed for 60 s (at most 20 minutes). */
    private void settle() throws InterruptedException {
        long start = System.nanoTime();
        long sameSince = System.nanoTime();
        String last = "";
        Pattern counters = Pattern.compile("^xmrec_updater_(snapshots|row_deltas|head_deltas|refused|references|trunks)_total .*$"
                + "|^xmrec_updater_trunk_training .*$", Pattern.MULTILINE);
        while ((System.nanoTime() - sameSince) < 60e9 && (System.nanoTime() - start) < 1200e9) {
            StringBuilder now = new StringBuilder();
            for (String u : List.of("updater-1", "updater-2")) {
                Matcher m = counters.matcher(body("http://127.0.0.1:" + ports.get(u) + "/metrics"));
                while (m.find()) {
                    now.append(m.group()).append('\n');
                }
            }
            String s = now.toString();
            if (!s.equals(last) || s.contains("xmrec_updater_trunk_training 1") || !Pattern.compile(
                    "^xmrec_updater_trunks_total [1-9]", Pattern.MULTILINE).matcher(s).find()) {
                sameSince = System.nanoTime();
            }
            last = s;
            Thread.sleep(5000);
        }
    }

    private static String metric(String text, String name, String market, String split) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)} (\\S+)$", Pattern.MULTILINE).matcher(text);
        while (m.find()) {
            if (m.group(1).contains("market=\"" + market + "\"") && m.group(1).contains("split=\"" + split + "\"")) {
                return m.group(2);
            }
        }
        return "";
    }

    /** Samples every 10 s until {@code stop}: each process, the consumer groups, the updaters' freshness. */
    private Thread startSampling(AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            try (Admin a = admin()) {
                while (!stop.get()) {
                    Map<String, Process> ps = new LinkedHashMap<>(roles);
                    ps.remove("ingest");
                    ps.remove("topics");
                    for (int b = 1; b <= BROKERS; b++) {
                        ps.put("broker-" + b, brokers.node(b));
                    }
                    ps.put("jobmanager", flink.jobManager());
                    ps.put("taskmanager-0", flink.taskManager(0));
                    ps.put("taskmanager-1", flink.taskManager(1));
                    sampler.sample(ps, work, a, this::updaterFreshness);
                    Thread.sleep(10_000);
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The updaters' freshness, p50 and p99 seconds from promotion to a published model (the larger of the two updaters). */
    private Map<String, Double> updaterFreshness() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String q : List.of("p50", "p99")) {
            double worst = Double.NaN;
            for (String u : List.of("updater-1", "updater-2")) {
                Matcher m = Pattern.compile("^xmrec_updater_freshness_" + q + "_seconds (\\S+)$", Pattern.MULTILINE)
                        .matcher(body("http://127.0.0.1:" + ports.get(u) + "/metrics"));
                if (m.find()) {
                    double x = Double.parseDouble(m.group(1));
                    worst = Double.isNaN(worst) || x > worst ? x : worst;
                }
            }
            out.put("freshness " + q + " (s)", worst);
        }
        return out;
    }

    private String soakSummary(SoakSampler.Loops loops, double from, double to) {
        return String.format(Locale.ROOT, "%d loops of %d days of reviews at %s days/s; steady window: %.0f s (from both replicas "
                + "serving every market to the end of the replay), sampled every 10 s (RSS and lag every sample; heap: after the "
                + "latest collection in the JVM's gc log; freshness: the worse of the two updaters' p50 and p99 over their last "
                + "10,000 interactions)%n%n", loops.loops(), loops.windowDays(), speed, to - from) + sampler.summary(from, to, 5);
    }

    private void writeResult(long events, double replaySeconds, PipelineAudit.Result a, long[] all, String quality, String soak)
            throws IOException {
        StringWriter sw = new StringWriter();
        PrintWriter out = new PrintWriter(sw);
        out.printf(Locale.ROOT, "- replay: %,d events at %s days/s in %.0f s; serving load from 30 s into the replay: two clients, "
                + "~20 requests/s each, each trying the other replica once when one fails; %,d requests answered, %,d failed, p99 %d ms; "
                + "%,d asked for a market without a model yet (503, as it should)%n", events, speed, replaySeconds,
                all[0], all[1], all[2], all[3]);
        if (faults) {
            out.println();
            out.println("| fault | at (s into the replay) | time to recover (s) | requests answered | failed | p99 during (ms) | "
                    + "no model yet | recovery |");
            out.println("|---|---:|---:|---:|---:|---:|---:|---|");
            for (FaultRow f : rows) {
                out.printf(Locale.ROOT, "| %s | %.0f | %.1f | %,d | %d | %d | %,d | %s |%n", f.fault(), f.at(), f.recovered(),
                        f.answered(), f.failed(), f.p99(), f.noModel(), f.note());
            }
        }
        out.println();
        out.println("| accounting | value |");
        out.println("|---|---|");
        out.printf(Locale.ROOT, "| events in the files | %,d |%n", a.events());
        out.printf(Locale.ROOT, "| records on the review topics | %,d |%n", a.input());
        out.printf(Locale.ROOT, "| of them sent again by the replay and dropped as duplicates | %,d |%n", a.redelivered());
        out.printf(Locale.ROOT, "| train + held out + dead letters | %,d + %,d + %,d = %,d |%n", a.train(), a.heldOut(), a.dead(),
                a.train() + a.heldOut() + a.dead());
        out.printf(Locale.ROOT, "| training interactions twice in xmrec.train | %d |%n", a.duplicateTrain());
        out.printf(Locale.ROOT, "| users whose final holdouts or training differ from the offline split | %d of %,d |%n",
                a.splitMismatches(), a.users());
        out.printf(Locale.ROOT, "| model versions out of order or repeated | %d (%s) |%n", a.versionProblems(), a.versions());
        out.printf("| verdict | %s |%n", a.ok() ? "nothing lost, nothing twice" : "**FAILED**: " + a.firstProblems());
        if (soak != null) {
            out.println();
            out.println("Soak: " + soak);
        }
        out.println();
        out.println("Timeline:");
        out.println();
        out.println("```");
        timeline.forEach(out::println);
        out.println("```");
        out.flush();
        Files.writeString(work.resolve("result.md"), sw.toString());
        StringBuilder q = new StringBuilder("market\tndcg10\thr10\tusers\n");
        for (String m : markets) {
            q.append(m).append('\t').append(metric(quality, "xmrec_eval_ndcg_at_10", m, "test")).append('\t')
                    .append(metric(quality, "xmrec_eval_hr_at_10", m, "test")).append('\t')
                    .append(metric(quality, "xmrec_eval_users", m, "test")).append('\n');
        }
        Files.writeString(work.resolve("quality.tsv"), q.toString());
    }

    private void stopAll() {
        for (Process p : processes) {
            if (p.isAlive()) {
                try {
                    signal(p, "CONT");
                } catch (RuntimeException e) {
                    // gone
                }
                p.destroy();
            }
        }
        try {
            if (flink != null) {
                flink.close();
            }
            if (brokers != null) {
                brokers.close();
            }
            for (Process p : processes) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        teardownNet();
    }
}
