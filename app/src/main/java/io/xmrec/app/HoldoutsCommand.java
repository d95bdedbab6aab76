package io.xmrec.app;

import io.xmrec.embedded.EmbeddedKafka;
import io.xmrec.app.embedded.CommitProgress;
import io.xmrec.app.embedded.EmbeddedHoldouts;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.schemas.registry.RegistryServer;
import io.xmrec.stream.HoldoutJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "holdouts", mixinStandardHelpOptions = true,
        description = "Runs the Flink job that keeps rolling leave-one-out holdouts per user: reads every "
                + "xmrec.reviews.<market> topic, writes xmrec.train, xmrec.holdouts and xmrec.deadletter exactly once. "
                + "With --embedded it starts an in-process broker and registry, ingests the files, processes them all "
                + "and can dump the final state for comparison with the offline split.")
final class HoldoutsCommand implements Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--embedded", description = "Start an in-process Kafka broker and schema registry, ingest --data "
            + "for --markets, run the job over everything ingested and stop.")
    boolean embedded;

    @Option(names = "--bounded", description = "Process what is in the topics now, then stop (default: run until killed).")
    boolean bounded;

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "With --embedded: markets to ingest (default: in,jp).")
    String markets = "in,jp";

    @Option(names = "--dump", paramLabel = "FILE",
            description = "With --embedded, --bounded or --dump-only: write the final state as TSV (market user valid_item "
                    + "test_item train_count).")
    Path dump;

    @Option(names = "--dump-only", description = "Do not run the job: read the state a running job has written (its "
            + "committed records on xmrec.holdouts, xmrec.train and xmrec.deadletter) into --dump and stop. Reads the "
            + "training topic as a stream (a count per user), so it audits millions of users in a small heap.")
    boolean dumpOnly;

    @Option(names = "--parallelism", description = "Parallelism of the local Flink mini-cluster (default: 2).")
    int parallelism = 2;

    @Option(names = "--at-least-once", description = "At-least-once sinks instead of transactions: output visible at "
            + "once rather than at each checkpoint, but a restart may write a promotion twice (its event id identifies it).")
    boolean atLeastOnce;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Keep checkpoints in DIR (kept when the job "
            + "stops) and resume from the newest one there on start, so a restart keeps every user's holdout state. "
            + "Without it the state lives in memory and a restart begins again from the committed offsets with empty "
            + "holdouts.")
    Path checkpointDir;

    @CommandLine.Mixin
    CheckpointOption checkpoint = new CheckpointOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Checkpoints of the --embedded and --bounded runs (what bench/results/scale-holdouts.md measured). */
    private static final Duration BOUNDED_CHECKPOINTS = Duration.ofSeconds(2);

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        if (parallelism < 1) {
            throw new IllegalArgumentException("--parallelism must be at least 1, got " + parallelism);
        }
        if (dumpOnly && (embedded || bounded || dump == null)) {
            throw new IllegalArgumentException("--dump-only needs --dump FILE and neither --embedded nor --bounded");
        }
        Duration every = checkpoint.interval(embedded || bounded ? BOUNDED_CHECKPOINTS : Duration.ofSeconds(10));
        if (embedded) {
            Map<String, MarketData> loaded = MarketFiles.load(data.dir, Markets.parseList(markets), false, err);
            err.println("starting the in-process Kafka broker and schema registry ...");
            try (EmbeddedKafka k = EmbeddedKafka.start(null);
                 RegistryServer registry = RegistryServer.start(k.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
                err.println("broker " + k.bootstrapServers() + ", registry " + registry.url());
                ReplayPublisher.Summary s = IngestCommand.ingest(k.bootstrapServers(), Map.of(), registry.url(), loaded,
                        0, err);
                err.printf("ingested %,d events in %.1fs%n", s.events(), s.seconds());
                EmbeddedHoldouts.Run run = EmbeddedHoldouts.runBounded(k.bootstrapServers(), registry.url(), Map.of(),
                        parallelism, !atLeastOnce, every);
                report(run, EmbeddedHoldouts.read(k.bootstrapServers(), registry.url(), Map.of(), run.seconds()),
                        s.events(), out, err);
            }
            return 0;
        }
        kafka.awaitConnection("xmrec holdouts", spec.commandLine().getErr());
        if (dumpOnly) {
            EmbeddedHoldouts.Audit a = EmbeddedHoldouts.audit(kafka.bootstrap, kafka.registry, kafka.clientProps(), dump);
            out.printf("users %d, training interactions %d, dead letters %d%n", a.users(), a.trainingInteractions(),
                    a.deadLetters());
            err.println("wrote " + dump);
            return 0;
        }
        if (bounded) {
            EmbeddedHoldouts.Run run = EmbeddedHoldouts.runBounded(kafka.bootstrap, kafka.registry, kafka.clientProps(),
                    parallelism, !atLeastOnce, every);
            report(run, EmbeddedHoldouts.read(kafka.bootstrap, kafka.registry, kafka.clientProps(), run.seconds()), -1,
                    out, err);
            return 0;
        }
        HoldoutJob.Settings s = new HoldoutJob.Settings(kafka.bootstrap, kafka.registry, kafka.clientProps(), false,
                Duration.ofDays(7), every, io.xmrec.schemas.Topics.PREFIX + "xmrec-holdouts");
        if (atLeastOnce) {
            s = s.atLeastOnce();
        }
        io.xmrec.stream.LocalCheckpoints.Scratch scratch = checkpointDir == null ? new io.xmrec.stream.LocalCheckpoints.Scratch()
                : null;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism,
                scratch != null ? scratch.configuration()
                        : io.xmrec.stream.LocalCheckpoints.configure(checkpointDir, err::println));
        if (checkpointDir == null) {
            err.println("holdouts: no --checkpoint-dir: the holdout state is lost when this process stops");
        }
        HoldoutJob.define(env, s);
        err.println("holdout job running on a local mini-cluster (parallelism " + parallelism + "); Ctrl-C stops it");
        try (StopSignal stop = new StopSignal("holdouts", err, false, Duration.ofSeconds(20));
             AutoCloseable cleanup = scratch != null ? scratch : () -> { }) {
            org.apache.flink.core.execution.JobClient job = env.executeAsync("xmrec holdouts");
            var result = job.getJobExecutionResult();
            while (!stop.requested()) {
                try {
                    result.get(500, java.util.concurrent.TimeUnit.MILLISECONDS);
                    return 0; // an unbounded job ends only when cancelled from outside
                } catch (java.util.concurrent.TimeoutException e) {
                    // still running
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable root = e;
                    while (root.getCause() != null) {
                        root = root.getCause();
                    }
                    throw new IllegalStateException("the holdout job failed: " + root);
                }
            }
            try {
                job.cancel().get(10, java.util.concurrent.TimeUnit.SECONDS);
                err.println("stopped: holdout job");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                err.println("stopped: holdout job (cancel: " + e.getMessage() + ")");
            }
        }
        return 0;
    }

    private void report(EmbeddedHoldouts.Run run, EmbeddedHoldouts.Result r, long input, PrintWriter out, PrintWriter err) {
        out.printf("holdout job: %.1fs; %,d users with a holdout, %,d training interactions, %,d held out, %,d dead letters%n",
                r.seconds(), r.holdouts().size(), r.train().size(), r.heldOut(), r.deadLetters().size());
        CommitProgress.Summary c = run.commits();
        out.printf("input committed (at checkpoints): %,d records; the first after %.1fs; steady %,.0f records/s "
                + "(between 10%% and 90%% of them)%n", c.committed(), c.firstCommitSeconds(), c.steadyPerSecond());
        if (input >= 0) {
            long accounted = r.train().size() + r.heldOut() + r.deadLetters().size();
            out.printf("accounted for: %,d of %,d input records%n", accounted, input);
        }
        if (dump != null) {
            EmbeddedHoldouts.dump(r, dump);
            err.println("wrote " + dump);
        }
    }
}
