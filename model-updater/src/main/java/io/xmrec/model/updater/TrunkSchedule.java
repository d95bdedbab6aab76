package io.xmrec.model.updater;

import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The slow path: decides when a trunk is due (the data grew by {@code retrainGrowth}, or something is
 * new and the input is caught up or the interval passed, or a market has no fork yet) and trains it
 * on its own thread with {@link TrunkTrainer} on a snapshot of every market; its forks go out on
 * {@code xmrec.forks} and its references on {@code xmrec.references}. Called on the poll thread.
 */
final class TrunkSchedule implements AutoCloseable {

    private final UpdaterSettings settings;
    private final TrunkTrainer trainer;
    private final Publisher publisher;
    private final UpdaterCounters counters;
    private final UpdateReports reports;
    private final String provenance;
    private final Consumer<String> log;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(ContinualUpdater.threads("xmrec-updater-trunk"));
    /** The newest trunk version read on the fork topic (trained here or elsewhere), or taken over with a market. */
    private volatile long version;
    /**
     * The newest trunk this updater trained to the end (its forks sent, perhaps not read back yet). A trunk due in
     * between (the input grew by the growth factor while it trained, as at 100x at full speed) takes the version after
     * it: it was numbered by {@link #version} alone and trained the same version again, as a bootstrap.
     */
    private volatile long trained;
    private long lastNanos = System.nanoTime();
    /** The input a trunk read on the fork topic was trained through, until this updater has read as far. */
    private Map<String, Long> adoptedThrough;
    private volatile Future<?> job;
    private long jobVersion;
    /** The markets of the last trunk this updater started (their forks may not have been read back yet). */
    private Set<String> lastMarkets = Set.of();
    /** Training interactions read when the newest trunk counted here took its snapshot. */
    private long snapshotInteractions;
    /** The newest trunk this updater started had fewer epochs than the recipe (a bootstrap). */
    private boolean shortTrunk;

    TrunkSchedule(UpdaterSettings settings, Publisher publisher, UpdaterCounters counters, String provenance,
                  Consumer<String> log) {
        this.settings = settings;
        this.trainer = new TrunkTrainer(settings, log);
        this.publisher = publisher;
        this.counters = counters;
        this.reports = new UpdateReports(publisher, log);
        this.provenance = provenance;
        this.log = log;
    }

    /** Trains a market's own model: a first one, or a retrained one (see {@link TrunkTrainer#ownModel}). */
    NcfModel ownModel(MarketSplit split, boolean first) {
        return trainer.ownModel(split, first);
    }

    /** Retrains a market's own model from its last one ({@link TrunkTrainer#continueOwn}). */
    NcfModel continueOwn(NcfModel from, MarketSplit split) {
        return trainer.continueOwn(from, split);
    }

    /** The newest trunk version known: trained here, read on the fork topic or taken over with a market. */
    long version() {
        return Math.max(version, trained);
    }

    /** A market taken over at a published version built on trunk {@code trunk}. */
    void tookOver(long trunk) {
        version = Math.max(version, trunk);
    }

    /** Whether a trunk is training now (its forks and references included). */
    boolean training() {
        Future<?> j = job;
        return j != null && !j.isDone();
    }

    /** A fork read on {@code xmrec.forks}: a newer trunk, perhaps trained by another updater. */
    void forkRead(ServedModel f, long now) {
        if (f.trunkVersion() > version) {
            version = f.trunkVersion();
            lastNanos = now;
            if (f.trunkVersion() > jobVersion) { // not the trunk this updater trained and sized itself
                adoptedThrough = f.meta().trainedThrough();
            }
        }
    }

    /**
     * A trunk trained elsewhere (by an updater that was killed or gave the trunk up) counts as this
     * updater's own: its size is the number of interactions read once this updater has read the
     * input as far as that trunk was trained, so the next trunk is due on growth from there rather
     * than at once.
     */
    void adoptSize(UpdaterInput input) {
        Map<String, Long> through = adoptedThrough;
        if (through != null && input.readThrough(through)) {
            snapshotInteractions = Math.max(snapshotInteractions, input.interactions());
            adoptedThrough = null;
        }
    }

    /** Starts a trunk on its thread if this updater trains it, none is training and one is due. */
    void startIfDue(long now, UpdaterInput input) {
        if (input.replayed() && !training() && due(now, input)) {
            start(now, input);
        }
    }

    private boolean due(long now, UpdaterInput input) {
        if (adoptedThrough != null) {
            return false; // the newest trunk was trained on input this updater has not read yet
        }
        if (!settings.runs("slow") && version() >= 1) {
            return false; // the slow path is off: the first trunk is the last
        }
        long eligible = 0;
        boolean missing = false; // a market with trainable users and no fork, nor one being trained
        for (Map.Entry<String, MarketInput> e : input.markets.entrySet()) {
            long n = e.getValue().eligibleInteractions(settings.minInteractions());
            eligible += n;
            missing |= n > 0 && !input.forks.containsKey(e.getKey()) && !lastMarkets.contains(e.getKey());
        }
        if (eligible == 0) {
            return false;
        }
        boolean idle = input.idleFor(settings.retrainIdle(), now);
        if (version() == 0 && snapshotInteractions == 0) {
            return eligible >= settings.bootstrapInteractions() || idle;
        }
        long interactions = input.interactions();
        boolean grown = interactions >= (1 + settings.retrainGrowth()) * snapshotInteractions;
        boolean anything = interactions > snapshotInteractions;
        boolean interval = !settings.retrainInterval().isZero() && now - lastNanos >= settings.retrainInterval().toNanos();
        // a missing market's interactions may all have been read before the last trunk started (its holdouts
        // came later), so "anything new" alone would never bring it in
        // a bootstrap trunk (fewer epochs) out is followed by a full one once the input is caught up, on the same
        // data if nothing came since: a bootstrap that saw everything (one started again after a trunk was
        // cancelled, late in a replay) was otherwise served for good
        boolean shortOut = shortTrunk && version >= jobVersion;
        return grown || ((anything || missing || shortOut) && (idle || interval));
    }

    private void start(long now, UpdaterInput input) {
        long v = version() + 1;
        List<MarketSplit> splits = new ArrayList<>();
        for (MarketInput in : input.markets.values()) {
            MarketSplit s = in.split(settings.minInteractions());
            if (!s.users().isEmpty()) {
                splits.add(s);
            }
        }
        if (splits.isEmpty()) {
            return;
        }
        Map<String, Long> at = input.offsets();
        Map<String, Long> wm = input.watermarks();
        Map<String, List<String>> sold = new java.util.TreeMap<>();
        input.markets.forEach((m, in) -> sold.put(m, new ArrayList<>(in.catalogue)));
        lastMarkets = splits.stream().map(MarketSplit::market).collect(Collectors.toSet());
        boolean bootstrap = v == 1;
        shortTrunk = trainer.shortened(bootstrap);
        long interactions = input.interactions();
        snapshotInteractions = interactions;
        lastNanos = now;
        jobVersion = v;
        job = thread.submit(() -> train(v, splits, at, wm, sold, bootstrap, interactions));
    }

    private void train(long v, List<MarketSplit> splits, Map<String, Long> at, Map<String, Long> wm,
                       Map<String, List<String>> sold, boolean bootstrap, long interactions) {
        try {
            trainer.train(v, splits, at, bootstrap, new TrunkTrainer.Output() {
                @Override
                public void forks(TrunkTrainer.Trunk t) {
                    counters.trunkSeconds.add(t.seconds());
                    counters.trunkInteractions = interactions;
                    counters.trunks.incrementAndGet();
                    for (Map.Entry<String, NcfModel> e : t.models().entrySet()) {
                        ModelMeta meta = ModelMeta.builder(e.getKey(), v, v).trainedThrough(at)
                                .watermarkMillis(wm.get(e.getKey())).createdAtMillis(System.currentTimeMillis())
                                .provenance(UpdaterProvenance.withChoice(provenance, t.choices().get(e.getKey())))
                                .build();
                        publisher.fork(ModelRecords.record(MarketModels.served(e.getKey(), e.getValue(), meta,
                                new int[0], new int[0]), NcfArchitecture.of(e.getValue().net().shape()).label()));
                    }
                    reports.send(UpdateReports.event("*", "trunk", v, v, t.seconds()));
                    trained = Math.max(trained, v);
                }

                @Override
                public void reference(String market, NcfModel model, double seconds) {
                    counters.trunkSeconds.add(seconds);
                    ModelMeta meta = ModelMeta.builder(market, v, v).reference(true).trainedThrough(at)
                            .watermarkMillis(wm.get(market)).createdAtMillis(System.currentTimeMillis())
                            .provenance("{\"recipe\":\"nmf\",\"reference\":true}").build();
                    publisher.reference(ModelRecords.record(MarketModels.served(market, model, meta,
                            rows(sold.getOrDefault(market, List.of()), model), new int[0]), "nmf"));
                    counters.references.incrementAndGet();
                }
            });
        } catch (CancellationException e) {
            // cancelled: cancel() said so
        } catch (RuntimeException | Error e) {
            if (!Thread.currentThread().isInterrupted() && !thread.isShutdown()) {
                log.accept("updater: trunk v" + v + " failed, the current models stay: " + e);
            } // else cancelled while in a library call: cancel() said so
        }
    }

    /** The rows of a market's items in a model's vocabulary (the reference's catalogue). */
    private static int[] rows(List<String> items, NcfModel m) {
        return items.stream().mapToInt(i -> m.items().indexOf(i)).filter(i -> i >= 0).sorted().toArray();
    }

    /** Stops a trunk in training, saying why. */
    void cancel(String why) {
        Future<?> j = job;
        if (j != null && !j.isDone()) {
            j.cancel(true);
            log.accept("updater: trunk v" + jobVersion + " stopped: " + why);
        }
        job = null;
    }

    @Override
    public void close() {
        cancel("the updater is closing");
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
