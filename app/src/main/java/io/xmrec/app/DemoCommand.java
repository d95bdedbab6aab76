package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.model.updater.UpdaterSettings;
import io.xmrec.ingest.ReplayPublisher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.time.Duration;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts everything in one JVM (in-process Kafka and schema registry, the Flink holdout job, the "
                + "continual model-updater, the live evaluator with its dashboard and recommendation endpoint), replays "
                + "the XMarket files as a live stream, and runs until Ctrl-C.")
final class DemoCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @CommandLine.Mixin
    CheckpointOption checkpoint = new CheckpointOption();

    @CommandLine.Mixin
    MarketsOption markets = new MarketsOption();

    @CommandLine.Mixin
    TrainingBudgetOption budget = new TrainingBudgetOption();

    @CommandLine.Mixin
    SideModelsOption sideModels = new SideModelsOption();

    @Option(names = "--speed", paramLabel = "X|max", description = "Days of event time per second, or max (default: 10, about what the whole system keeps up with on 2 cores).")
    String speed = "10";

    @Option(names = "--port", description = "HTTP port of the dashboard, metrics and recommendation endpoint (default: 8080).")
    int port = 8080;

    @Option(names = "--host", description = "Address the HTTP endpoint binds to (default: 127.0.0.1).")
    String host = "127.0.0.1";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Updater settings scaled to the replay: the first trunk (5 epochs per stage) once a fifth of the
     * training interactions are in, or when the input is caught up; the full recipe after that.
     */
    static UpdaterSettings settings(Map<String, MarketData> loaded) {
        long lines = loaded.values().stream().mapToLong(m -> m.interactions().size()).sum();
        long bootstrap = Math.max(500, (long) (0.2 * lines * 0.7));
        UpdaterSettings d = UpdaterSettings.defaults();
        return d.withBootstrap(bootstrap, d.bootstrapEpochs());
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        double daysPerSecond = IngestCommand.parseSpeed(speed);
        budget.check(); // before any data is read
        sideModels.check();
        Duration every = checkpoint.interval(EmbeddedSystem.CHECKPOINTS);
        Map<String, MarketData> loaded = MarketFiles.loadOrGenerate(data.dir, markets.list(), err,
                System.getenv());
        UpdaterSettings settings = sideModels.apply(budget.apply(settings(loaded)));
        try (StopSignal stop = new StopSignal("demo", err, true, Duration.ofSeconds(30));
             EmbeddedSystem sys = EmbeddedSystem.start(new ArrayList<>(loaded.keySet()), settings,
                     every, host, port,
                     line -> {
                         err.println(line);
                         err.flush();
                     })) {
            out.println("xmrec demo: broker " + sys.bootstrapServers() + ", registry " + sys.registryUrl());
            out.println("dashboard: " + sys.httpUrl() + "/");
            out.println("recommendations: " + sys.httpUrl() + "/recommendations/{market}/{user}?k=10 (models: "
                    + sys.httpUrl() + "/models); metrics: " + sys.httpUrl() + "/metrics");
            out.flush();
            ReplayPublisher.Summary s = IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), loaded,
                    daysPerSecond, err);
            loaded = null; // the files' lines are on the topics now: their heap (GBs at 100x) is free while it runs on
            if (s.stopped()) {
                err.printf("stopped: ingest after %,d events%n", s.events());
                stop.settle();
            } else {
                out.printf("replay done: %,d events in %.1fs; models keep updating until Ctrl-C%n", s.events(), s.seconds());
                out.flush();
                stop.await();
            }
        }
                return 0;
    }

}
