package io.xmrec.app.embedded;

import io.xmrec.embedded.EmbeddedKafka;
import io.xmrec.model.updater.ContinualUpdater;
import io.xmrec.model.updater.UpdaterSettings;
import io.xmrec.model.updater.UpdaterStats;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.ModelClient;
import io.xmrec.eval.live.EvaluatorService;
import io.xmrec.eval.live.LiveEvaluator;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.RegistryServer;
import io.xmrec.stream.HoldoutJob;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Everything in one JVM: an in-process Kafka broker and schema registry, the holdout job on a
 * local Flink mini-cluster (unbounded, checkpointing), the continual model-updater on its own
 * thread, the live evaluator (Kafka Streams) with the dashboard and the recommendation and
 * scoring endpoints; {@link #models()} is the evaluator's model client. Ingest is the caller's:
 * anything published to the review topics flows through.
 */
public final class EmbeddedSystem implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final RegistryServer registry;
    private final JobClient job;
    /** The holdout job's checkpoints: on disk (no size wall), removed when the system stops. */
    private final io.xmrec.stream.LocalCheckpoints.Scratch checkpoints = new io.xmrec.stream.LocalCheckpoints.Scratch();
    private final ContinualUpdater updater;
    private final Thread updaterThread;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> updaterFailure = new AtomicReference<>();
    private final EvaluatorService evaluator;
    private final Consumer<String> log;
    /** An interrupt seen while closing, set again once every part is closed. */
    private boolean interruptedWhileClosing;

    /**
     * The holdout job's checkpoint interval unless the caller gives one: its exactly-once sinks commit at
     * checkpoints, so a new training interaction waits half of it on average before the updater can read it
     * (bench/results/freshness.md measures the trade-off).
     */
    public static final Duration CHECKPOINTS = Duration.ofMillis(500);

    private EmbeddedSystem(List<String> markets, UpdaterSettings settings, Duration checkpointInterval, String httpHost,
                           int httpPort, Consumer<String> log) throws Exception {
        this.log = log;
        kafka = EmbeddedKafka.start(null);
        registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of());
        TopicSetup.create(kafka.bootstrapServers(), Map.of(), markets, 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, checkpoints.configuration());
        HoldoutJob.define(env, new HoldoutJob.Settings(kafka.bootstrapServers(), registry.url(), Map.of(), false,
                Duration.ofDays(7), checkpointInterval, io.xmrec.schemas.Topics.PREFIX + "xmrec-holdouts-embedded"));
        job = env.executeAsync("xmrec holdouts");
        AvroSerde serde = new AvroSerde(new RegistryClient(registry.url()));
        updater = new ContinualUpdater(kafka.bootstrapServers(), Map.of(), serde, TopicSetup.MODEL_MAX_MESSAGE_BYTES,
                settings, ContinualUpdater.Group.defaults(), "embedded", log);
        updaterThread = new Thread(() -> {
            try {
                updater.runUntil(stop::get);
            } catch (Throwable t) {
                updaterFailure.set(t);
                log.accept("updater failed: " + t);
            }
        }, "xmrec-updater");
        updaterThread.setDaemon(true);
        updaterThread.start();
        evaluator = new EvaluatorService(kafka.bootstrapServers(), Map.of(), serde,
                EvaluatorService.tempStateDir(), httpHost, httpPort, LiveEvaluator.Settings.defaults());
        evaluator.addMetrics(() -> updater.stats().prometheus());
    }

    public static EmbeddedSystem start(List<String> markets, UpdaterSettings settings, String httpHost,
                                       int httpPort, Consumer<String> log) {
        return start(markets, settings, CHECKPOINTS, httpHost, httpPort, log);
    }

    /** As {@link #start(List, UpdaterSettings, String, int, Consumer)} with the holdout job checkpointing as given. */
    public static EmbeddedSystem start(List<String> markets, UpdaterSettings settings, Duration checkpointInterval,
                                       String httpHost, int httpPort, Consumer<String> log) {
        try {
            return new EmbeddedSystem(markets, settings, checkpointInterval, httpHost, httpPort, log);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the embedded system: " + e.getMessage(), e);
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    /** The evaluator's HTTP server: dashboard at /, /api/metrics, /metrics, /recommendations/{market}/{user}. */
    public String httpUrl() {
        return evaluator.url();
    }

    /** The models as the evaluator and the shop's endpoints follow them. */
    public ModelClient models() {
        return evaluator.models();
    }

    /** The holdout job's status (RUNNING while it works). */
    public org.apache.flink.api.common.JobStatus holdoutJobStatus() {
        try {
            return job.getJobStatus().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot get the holdout job's status: " + e.getMessage(), e);
        }
    }

    /** The live evaluator's Kafka Streams state and readiness (streams running, models caught up). */
    public String evaluatorState() {
        return evaluator.state() + (evaluator.ready() ? " ready" : " not ready");
    }

    public UpdaterStats updaterStats() {
        Throwable t = updaterFailure.get();
        if (t != null) {
            throw new IllegalStateException("the updater failed: " + t.getMessage(), t);
        }
        return updater.stats();
    }

    /**
     * Stops every part in the order data flows, one log line each: the holdout job (so nothing new
     * reaches the updater), the updater (training interrupted, not finished), the evaluator and its
     * HTTP endpoints, the registry, the broker. An interrupt of the calling thread (a stop signal that
     * came late) does not cut the closing short: every part is closed with the interrupt cleared, and
     * the interrupt is set again at the end.
     */
    @Override
    public void close() {
        interruptedWhileClosing = Thread.interrupted();
        stop.set(true);
        step("holdout job", () -> {
            try {
                job.cancel().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // finished or failed already: nothing left to cancel
            }
        });
        step("updater", () -> {
            updater.close(); // interrupts training: stops within seconds
            updaterThread.join(10_000);
        });
        step("evaluator", evaluator::close);
        step("registry", registry::close);
        step("broker", kafka::close);
        checkpoints.close();
        if (interruptedWhileClosing) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private void step(String part, Step s) {
        interruptedWhileClosing |= Thread.interrupted();
        long t0 = System.nanoTime();
        try {
            s.run();
            interruptedWhileClosing |= Thread.interrupted();
            log.accept(String.format("stopped: %s (%.1fs)", part, (System.nanoTime() - t0) / 1e9));
        } catch (InterruptedException e) {
            interruptedWhileClosing = true;
            log.accept("stopping: " + part + " interrupted");
        } catch (Exception e) {
            log.accept(String.format("stopped: %s (%.1fs) with an error: %s", part, (System.nanoTime() - t0) / 1e9, e));
        }
    }
}
