package io.xmrec.app;

import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.model.updater.ContinualUpdater;
import io.xmrec.model.updater.UpdaterSettings;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.RecommendationServer;
import io.xmrec.serving.SeenItems;
import io.xmrec.serving.http.JsonHttp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;

@Command(name = "updater", mixinStandardHelpOptions = true,
        description = "Runs the continual model-updater: reads xmrec.train and xmrec.holdouts and keeps every market's "
                + "model following the stream on three paths. Fast: every few hundred milliseconds the touched users' rows "
                + "are re-fitted and new users and items folded in, published as a small delta on xmrec.model-deltas. "
                + "Medium: each market's head is fine-tuned on a sample over all its users and published unless the "
                + "rollback guard refuses it. Slow: the served method's recipe (forec: NMF++, MAML, a fork per market) is "
                + "trained from scratch on a snapshot of every market, as offline, whenever the data grew or the input is "
                + "caught up; each market installs its new fork as a snapshot on xmrec.models. Several updaters in one "
                + "--group share the markets; a market's publications are fenced, so a former owner cannot publish after "
                + "the new one.")
final class UpdaterCommand implements java.util.concurrent.Callable<Integer> {

    /** Where every default below comes from: the flags show them, they are defined once. */
    private static final UpdaterSettings D = UpdaterSettings.defaults();

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--method", description = "The method served: auto (each market's choice at every trunk, on its "
            + "validation: FOREC's stages and fork against the market's own GMF, MLP and NMF) or one recipe of xmrec "
            + "offline for every market (default: ${DEFAULT-VALUE}).")
    String method = D.method();

    @Option(names = "--epochs", description = "Epochs of every training stage of a trunk (default: the offline recipe's, 50 at most with early stopping).")
    Integer epochs;

    @Option(names = "--bootstrap-interactions", description = "Training interactions of evaluable users before the first trunk (default: ${DEFAULT-VALUE}).")
    long bootstrapInteractions = D.bootstrapInteractions();

    @Option(names = "--engine", paramLabel = "auto|kernel|dl4j", description = "What takes the training steps of every "
            + "network stage of a trunk and of the medium path: the plain-Java kernel, DeepLearning4J, or auto: DL4J for "
            + "wide networks (300,000 multiply-adds per sample or more), the kernel below (MAML runs on its own code "
            + "either way; default: ${DEFAULT-VALUE}).")
    String engine = D.training().ncf().engine().label();

    @Option(names = "--first-model-interactions", description = "A market without a model gets a first one of its own "
            + "(single-market NMF, seconds to train) once it has this many training interactions of evaluable users, "
            + "without waiting for a trunk; the next trunk replaces it (0: wait for the trunk; default: ${DEFAULT-VALUE}).")
    int firstModelInteractions = D.firstModelInteractions();

    @CommandLine.Mixin
    SideModelsOption sideModels = new SideModelsOption();

    @Option(names = "--refresh-from-scratch", description = "Retrain a market's own model with the recipe's whole chain "
            + "from scratch (GMF, MLP, then NMF) rather than from its last own model as that was trained "
            + "(NMF's stage alone, on everything read; the default).")
    boolean refreshFromScratch = !D.continueOwn();

    @Option(names = "--bootstrap-epochs", description = "Epochs of every stage of the first trunk, so a first model comes out quickly (0: as later trunks; default: ${DEFAULT-VALUE}).")
    int bootstrapEpochs = D.bootstrapEpochs();

    @Option(names = "--retrain-growth", description = "Train a new trunk once the training interactions grew by this share since the last one's snapshot (default: ${DEFAULT-VALUE}).")
    double retrainGrowth = D.retrainGrowth();

    @Option(names = "--retrain-idle-seconds", description = "...or once the input has been caught up this long with anything new since (default: ${DEFAULT-VALUE}).")
    long retrainIdleSeconds = D.retrainIdle().toSeconds();

    @Option(names = "--retrain-minutes", description = "...or once this many minutes have passed with anything new since (0: never by time; default: ${DEFAULT-VALUE}).")
    long retrainMinutes = D.retrainInterval().toMinutes();

    @Option(names = "--fast-delay-ms", description = "The fast path coalesces a market's interactions over this window before re-fitting rows (default: ${DEFAULT-VALUE}).")
    long fastDelayMs = D.fastDelay().toMillis();

    @Option(names = "--head-seconds", description = "The medium path fine-tunes a market's head at most this often (default: ${DEFAULT-VALUE}).")
    long headSeconds = D.headInterval().toSeconds();

    @Option(names = "--head-min-interactions", description = "...and once this many new interactions came in since (default: ${DEFAULT-VALUE}).")
    int headMinInteractions = D.headMinInteractions();

    @Option(names = "--head-sample", description = "Training interactions over all the market's users the head is fine-tuned on (default: ${DEFAULT-VALUE}).")
    int headSample = D.headSample();

    @Option(names = "--snapshot-seconds", description = "A full snapshot of a market once the deltas since the last one add up to its size (a new client then reads at most twice a snapshot), or at least this often once deltas were published (default: ${DEFAULT-VALUE}).")
    long snapshotSeconds = D.snapshotInterval().toSeconds();

    @Option(names = "--snapshot-deltas", description = "...or after this many deltas (default: ${DEFAULT-VALUE}).")
    int snapshotDeltas = D.snapshotDeltas();

    @Option(names = "--workers", description = "Threads for the markets' fast and medium paths, one job per market at a time (default: ${DEFAULT-VALUE}).")
    int workers = D.workers();

    @Option(names = "--rollback-margin", description = "Refuse a head whose validation nDCG@10 is lower than the current model's by more than this (default: ${DEFAULT-VALUE}).")
    double rollbackMargin = D.rollbackMargin();

    @Option(names = "--validation-users", description = "The rollback guard and a new model's validation figure score at "
            + "most this many eligible users' holdouts per market, a seeded sample that keeps its users as the market "
            + "grows (default: ${DEFAULT-VALUE}).")
    int validationUsers = D.validationUsers();

    @Option(names = "--paths", split = ",", paramLabel = "fast|medium|slow",
            description = "The paths that run (default: all; --paths= for none): without fast, interactions after a model are not folded into it; "
                    + "without medium, heads are not fine-tuned; without slow, no trunk follows the first. medium,slow trades "
                    + "the fast path's sub-second freshness for ranking between retrains (docs/operations.md); other "
                    + "subsets are for measuring what each path earns (bench/continual-value.sh).")
    java.util.List<String> paths = new java.util.ArrayList<>(UpdaterSettings.PATHS);

    @Option(names = "--min-interactions", description = "Users with fewer interactions are not trained on by a trunk or evaluated (default: ${DEFAULT-VALUE}).")
    int minInteractions = D.minInteractions();

    @Option(names = "--group", description = "Consumer group the updaters share the markets in (default: xmrec-updater, after the topic prefix).")
    String group;

    @Option(names = "--session-timeout-ms", description = "How long a silent updater keeps its markets before the others take them over (default: ${DEFAULT-VALUE}).")
    long sessionTimeoutMs = ContinualUpdater.Group.defaults().sessionTimeout().toMillis();

    @Option(names = "--http-port", description = "Also serve the recommendation and scoring endpoints from the published models, the updater's /metrics and /health, on this port (0 = none; default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--http-host", description = "Address the HTTP endpoint binds to (default: ${DEFAULT-VALUE}).")
    String httpHost = "127.0.0.1";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    UpdaterSettings settings() {
        if (!method.equals(io.xmrec.model.recipe.Choice.AUTO)) {
            Recipes.get(method);
        }
        if (firstModelInteractions < 0) {
            throw new IllegalArgumentException("--first-model-interactions must not be negative: " + firstModelInteractions);
        }
        sideModels.check();
        if (bootstrapInteractions < 1 || bootstrapEpochs < 0 || workers < 1 || fastDelayMs < 0 || headSeconds < 0
                || headMinInteractions < 1 || headSample < 1 || validationUsers < 1 || snapshotSeconds < 0 || snapshotDeltas < 1
                || retrainMinutes < 0 || retrainIdleSeconds < 0 || !(retrainGrowth > 0) || (epochs != null && epochs < 1)) {
            throw new IllegalArgumentException("--bootstrap-interactions, --workers, --head-min-interactions, --head-sample, "
                    + "--validation-users, --snapshot-deltas, --retrain-growth and --epochs must be positive; the times and --bootstrap-epochs "
                    + "not negative");
        }
        TrainingSettings t = TrainingSettings.defaults();
        if (epochs != null) {
            t = new TrainingSettings(t.ncf().withEpochs(epochs), t.maml(), t.forec().withEpochs(epochs));
        }
        t = new TrainingSettings(t.ncf().withEngine(io.xmrec.model.Engine.parse(engine)), t.maml(), t.forec());
        UpdaterSettings base = UpdaterSettings.defaults().withMethod(method).withTraining(t).withMinInteractions(minInteractions)
                .withBootstrap(bootstrapInteractions, bootstrapEpochs).withFirstModel(firstModelInteractions)
                .withContinueOwn(!refreshFromScratch)
                .withRetrain(retrainGrowth, Duration.ofSeconds(retrainIdleSeconds), Duration.ofMinutes(retrainMinutes))
                .withFastDelay(Duration.ofMillis(fastDelayMs))
                .withHead(Duration.ofSeconds(headSeconds), headMinInteractions, headSample, D.headEpochs())
                .withSnapshots(Duration.ofSeconds(snapshotSeconds), snapshotDeltas)
                .withRollbackMargin(rollbackMargin)
                .withValidationUsers(validationUsers)
                .withWorkers(workers, true)
                .withPaths(paths.stream().filter(x -> !x.isBlank()).toList()); // --paths= : none
        return sideModels.apply(base);
    }

    ContinualUpdater.Group group() {
        if (sessionTimeoutMs < 1000) {
            throw new IllegalArgumentException("--session-timeout-ms must be at least 1000, not " + sessionTimeoutMs);
        }
        ContinualUpdater.Group d = ContinualUpdater.Group.defaults();
        return new ContinualUpdater.Group(group == null || group.isBlank() ? d.id() : group,
                Duration.ofMillis(sessionTimeoutMs));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        kafka.awaitConnection("xmrec updater", spec.commandLine().getErr());
        UpdaterSettings settings = settings();
        AvroSerde serde = new AvroSerde(new RegistryClient(kafka.registry));
        try (StopSignal stop = new StopSignal("updater", err, false, Duration.ofSeconds(20)); // stops within seconds
             ContinualUpdater u = new ContinualUpdater(kafka.bootstrap, kafka.clientProps(), serde,
                TopicSetup.MODEL_MAX_MESSAGE_BYTES, settings, group(), Provenance.gitCommit(), line -> {
                    err.println(line);
                    err.flush();
                })) {
            if (httpPort > 0) {
                try (SeenItems seen = new SeenItems(kafka.bootstrap, kafka.clientProps(), serde);
                     RecommendationServer http = new RecommendationServer(u.published(), seen,
                             () -> u.published().caughtUp(), httpHost, httpPort)) {
                    http.route("/metrics", ex -> JsonHttp.sendText(ex, 200, "text/plain; version=0.0.4",
                            u.stats().prometheus()));
                    err.println("recommendations at " + http.url() + "/recommendations/{market}/{user}?k=10, scores at "
                            + http.url() + "/scores/{market}/{user}?items=..., metrics at " + http.url() + "/metrics");
                    u.runUntil(stop::requested);
                }
            } else {
                u.runUntil(stop::requested);
            }
        }
        return 0;
    }
}
