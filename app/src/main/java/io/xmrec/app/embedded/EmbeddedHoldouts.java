package io.xmrec.app.embedded;

import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.stream.HoldoutJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Runs the holdout job over what is in the review topics (bounded) and reads back what it wrote. */
public final class EmbeddedHoldouts {

    /** The job's outputs as read back from the topics. */
    public record Result(Map<String, HoldoutState> holdouts, List<TrainingInteraction> train, List<DeadLetter> deadLetters,
                         double seconds) {

        /** Held-out items: one or two per user. */
        public long heldOut() {
            return holdouts.values().stream().mapToLong(h -> h.getValidItem() == null ? 1 : 2).sum();
        }
    }

    private EmbeddedHoldouts() {
    }

    /**
     * A bounded run: its seconds, and how its input was committed (the source commits at each checkpoint): when the
     * first commit came and the steady rate between 10% and 90% of the input.
     */
    public record Run(double seconds, CommitProgress.Summary commits) {
    }

    /** Runs the job on a local mini-cluster until the topics' current ends are processed. */
    public static Run runBounded(String bootstrap, String registry, Map<String, Object> clientProps, int parallelism) {
        return runBounded(bootstrap, registry, clientProps, parallelism, true, Duration.ofSeconds(2));
    }

    /**
     * As {@link #runBounded(String, String, Map, int)}, with exactly-once or at-least-once sinks and checkpoints
     * (the exactly-once sinks' commits) every {@code checkpointInterval}.
     */
    public static Run runBounded(String bootstrap, String registry, Map<String, Object> clientProps, int parallelism,
                                 boolean exactlyOnce, Duration checkpointInterval) {
        HoldoutJob.Settings s = new HoldoutJob.Settings(bootstrap, registry, clientProps, true, Duration.ofDays(7),
                checkpointInterval, "xmrec-holdouts-" + System.currentTimeMillis());
        if (!exactlyOnce) {
            s = s.atLeastOnce();
        }
        try (io.xmrec.stream.LocalCheckpoints.Scratch checkpoints = new io.xmrec.stream.LocalCheckpoints.Scratch();
             CommitProgress progress = CommitProgress.start(bootstrap, clientProps, HoldoutJob.GROUP, 200)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism,
                    checkpoints.configuration());
            HoldoutJob.define(env, s);
            long t0 = System.nanoTime();
            try {
                env.execute("xmrec holdouts (bounded)");
            } catch (Exception e) {
                throw new IllegalStateException("the holdout job failed: " + e.getMessage(), e);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Run(seconds, progress.finish());
        }
    }

    /** Reads the final state: the latest holdout per market|user, all training interactions, all dead letters. */
    public static Result read(String bootstrap, String registry, Map<String, Object> clientProps, double seconds) {
        AvroSerde serde = new AvroSerde(new RegistryClient(registry));
        List<TrainingInteraction> train = TopicReader.readAll(bootstrap, clientProps, Topics.TRAIN, serde,
                TrainingInteraction.class);
        List<DeadLetter> dead = TopicReader.readAll(bootstrap, clientProps, Topics.DEADLETTER, serde, DeadLetter.class);
        return new Result(latestHoldouts(bootstrap, clientProps, serde), train, dead, seconds);
    }

    /** What {@link #audit} found: users with a holdout, training interactions, dead letters. */
    public record Audit(long users, long trainingInteractions, long deadLetters) {
    }

    /**
     * Writes the final state as {@link #dump} does, reading the topics as a stream: a count per user of the training
     * topic, not its records, so the state of a running system of millions of users is audited in a small heap.
     */
    public static Audit audit(String bootstrap, String registry, Map<String, Object> clientProps, Path file) {
        AvroSerde serde = new AvroSerde(new RegistryClient(registry));
        Map<String, HoldoutState> latest = latestHoldouts(bootstrap, clientProps, serde);
        Map<String, int[]> counts = new HashMap<>();
        long[] records = new long[2];
        TopicReader.readToEnd(bootstrap, clientProps, Topics.TRAIN, r -> {
            if (r.value() != null) {
                count(counts, serde.deserialize(r.value(), TrainingInteraction.class));
                records[0]++;
            }
        });
        TopicReader.readToEnd(bootstrap, clientProps, Topics.DEADLETTER, r -> records[1]++);
        write(latest, counts, file);
        return new Audit(latest.size(), records[0], records[1]);
    }

    /** Writes the final state as TSV: market user valid_item test_item train_count, one row per user. */
    public static void dump(Result r, Path file) {
        Map<String, int[]> counts = new HashMap<>();
        r.train().forEach(t -> count(counts, t));
        write(r.holdouts(), counts, file);
    }

    private static String key(String market, String user) {
        return market + "|" + user;
    }

    /** Counts a training interaction for its market|user. */
    private static void count(Map<String, int[]> counts, TrainingInteraction t) {
        counts.computeIfAbsent(key(t.getMarket(), t.getUser()), k -> new int[1])[0]++;
    }

    /** The newest holdout state (by its version) of each market|user on the holdouts topic. */
    private static Map<String, HoldoutState> latestHoldouts(String bootstrap, Map<String, Object> clientProps,
                                                            AvroSerde serde) {
        Map<String, HoldoutState> latest = new TreeMap<>();
        TopicReader.readToEnd(bootstrap, clientProps, Topics.HOLDOUTS, r -> {
            if (r.value() != null) {
                HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
                latest.merge(key(h.getMarket(), h.getUser()), h, (a, b) -> b.getVersion() >= a.getVersion() ? b : a);
            }
        });
        return latest;
    }

    /** The TSV of {@link #dump}: one row per market|user of {@code latest}, with its count of training interactions. */
    private static void write(Map<String, HoldoutState> latest, Map<String, int[]> trainCounts, Path file) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("market\tuser\tvalid_item\ttest_item\ttrain_count\n");
            for (Map.Entry<String, HoldoutState> e : latest.entrySet()) {
                HoldoutState h = e.getValue();
                int[] n = trainCounts.get(e.getKey());
                w.write(h.getMarket() + "\t" + h.getUser() + "\t" + (h.getValidItem() == null ? "" : h.getValidItem())
                        + "\t" + h.getTestItem() + "\t" + (n == null ? 0 : n[0]) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
