package io.xmrec.app;

import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.service.ContinualUpdater;
import io.xmrec.model.topic.ModelClient;
import io.xmrec.model.topic.RecommendationServer;
import io.xmrec.schemas.TopicSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "updater", mixinStandardHelpOptions = true,
        description = "Runs the continual model-updater: reads xmrec.train and xmrec.holdouts, pre-trains the shared "
                + "trunk (NMF++ then MAML) once enough data has arrived, forks and fine-tunes a FOREC model per market, "
                + "fine-tunes each market on new micro-batches (refusing updates that lose validation nDCG@10 beyond "
                + "the rollback margin), re-trains the trunk periodically, and publishes every model on xmrec.models. "
                + "Several updaters in one --group share the markets: one trains the trunk and publishes forks on "
                + "xmrec.forks, each market is fine-tuned by one of them, and a stopped or silent updater's markets "
                + "move to the others.")
final class UpdaterCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--bootstrap-interactions", description = "Training interactions of eligible users before the first trunk (default: 20000).")
    long bootstrapInteractions = 20_000;

    @Option(names = "--micro-batch", description = "New interactions of a market that make a fine-tuning step (default: 500).")
    int microBatch = 500;

    @Option(names = "--max-delay-ms", description = "A market's new interactions are fine-tuned on at the latest this long after the first of them arrived, even when fewer than a micro-batch (default: 500).")
    long maxDelayMs = 500;

    @Option(names = "--workers", description = "Markets fine-tuned at the same time, each on its own thread (default: 2).")
    int workers = 2;

    @Option(names = "--retrain-minutes", description = "Also re-train the trunk when this many minutes have passed since the last one and new interactions arrived (0 = only by count; default: 30).")
    long retrainMinutes = 30;

    @Option(names = "--warm-epochs", description = "Epochs of a warm-started re-training: NMF on the window, and each market's head (default: 2).")
    int warmEpochs = 2;

    @Option(names = "--no-reference", description = "Do not train the single-market NMF reference models (the dashboard's comparison line).")
    boolean noReference;

    @Option(names = "--no-source-heads", description = "A market without a head of its own starts its fork's head from random weights instead of from the head of the market --source auto would pick for it, when that one is forked on the same trunk before it.")
    boolean noSourceHeads;

    @Option(names = "--window", description = "Training interactions kept per market (default: 200000).")
    int window = 200_000;

    @Option(names = "--retrain-every", description = "Interactions between trunk re-trainings (default: 200000).")
    long retrainEvery = 200_000;

    @Option(names = "--epochs", description = "Epochs of each trunk stage and of the fork's fine-tuning (default: 5).")
    int epochs = 5;

    @Option(names = "--rollback-margin", description = "Refuse a model whose validation nDCG@10 is lower than the current one's by more than this (default: 0.02).")
    double rollbackMargin = 0.02;

    @Option(names = "--min-interactions", description = "Users with fewer interactions are not trained or evaluated (default: 7).")
    int minInteractions = 7;

    @Option(names = "--group", description = "Consumer group the updaters share the markets in: each market is fine-tuned by one member, one member trains the trunk (default: xmrec-updater, after the topic prefix).")
    String group;

    @Option(names = "--session-timeout-ms", description = "How long a silent updater keeps its markets before the others take them over (default: 15000).")
    long sessionTimeoutMs = 15_000;

    @Option(names = "--http-port", description = "Also serve GET /recommendations/{market}/{user}?k=10 from the published models, and the updater's /metrics (Prometheus), on this port (0 = none).")
    int httpPort;

    @Option(names = "--http-host", description = "Address the HTTP endpoint binds to (default: 127.0.0.1).")
    String httpHost = "127.0.0.1";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    ContinualUpdater.Settings settings() {
        if (microBatch < 1 || window < 1 || epochs < 1 || bootstrapInteractions < 1 || retrainEvery < 1 || workers < 1
                || warmEpochs < 1 || maxDelayMs < 0 || retrainMinutes < 0) {
            throw new IllegalArgumentException("--micro-batch, --window, --epochs, --bootstrap-interactions, "
                    + "--retrain-every, --workers and --warm-epochs must be positive, --max-delay-ms and "
                    + "--retrain-minutes not negative");
        }
        return ContinualUpdater.Settings.defaults().withMinInteractions(minInteractions)
                .withBootstrap(bootstrapInteractions)
                .withMicroBatch(microBatch, java.time.Duration.ofMillis(maxDelayMs))
                .withWindow(window)
                .withRetrain(retrainEvery, java.time.Duration.ofMinutes(retrainMinutes))
                .withTraining(NcfOptions.defaults().withEpochs(epochs), MamlOptions.defaults(),
                        ForecFork.Options.defaults().withEpochs(epochs), warmEpochs)
                .withRollbackMargin(rollbackMargin)
                .withWorkers(workers, !noReference)
                .withSourceHeads(!noSourceHeads);
    }

    ContinualUpdater.Group group() {
        if (sessionTimeoutMs < 1000) {
            throw new IllegalArgumentException("--session-timeout-ms must be at least 1000, not " + sessionTimeoutMs);
        }
        ContinualUpdater.Group d = ContinualUpdater.Group.defaults();
        return new ContinualUpdater.Group(group == null || group.isBlank() ? d.id() : group,
                java.time.Duration.ofMillis(sessionTimeoutMs));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        kafka.require("xmrec updater");
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.set(true);
            try {
                closed.await(60, java.util.concurrent.TimeUnit.SECONDS); // let the main thread close cleanly
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try (ContinualUpdater u = new ContinualUpdater(kafka.bootstrap, kafka.clientProps(), kafka.registry,
                TopicSetup.MODEL_MAX_MESSAGE_BYTES, settings(), group(), line -> {
                    err.println(line);
                    err.flush();
                })) {
            if (httpPort > 0) {
                try (ModelClient client = new ModelClient(kafka.bootstrap, kafka.clientProps(), kafka.registry);
                     RecommendationServer http = new RecommendationServer(client, httpHost, httpPort)) {
                    http.route("/metrics", ex -> RecommendationServer.send(ex, 200, "text/plain; version=0.0.4",
                            u.stats().prometheus().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    err.println("recommendations at " + http.url() + "/recommendations/{market}/{user}?k=10, metrics at "
                            + http.url() + "/metrics");
                    u.runUntil(stop::get);
                }
            } else {
                u.runUntil(stop::get);
            }
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
