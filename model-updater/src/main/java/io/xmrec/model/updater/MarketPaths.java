package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What is due in an owned market, from the poll thread, and the job that does it ({@link MarketUpdater}
 * does the work): installing a trunk's fork, or a first model of the market's own; the fast path (the
 * pending users' rows re-fitted, new users and items folded in, after {@code fastDelay}); the medium
 * path (the head fine-tuned, kept only if it validates better; the market's own model retrained once
 * its data grew, served if it validates above the model served); a periodic snapshot. A job copies
 * what it needs of the input here, on the poll thread, and runs on a worker. The medium path runs on a
 * worker of its own beside the market's other jobs, so a head in training (seconds) does not hold up
 * the fast path's re-fits (milliseconds).
 */
final class MarketPaths {

    /** The kinds of the workers' jobs, as {@link Runner} is told them (its timing counts them apart). */
    static final String ROWS = "rows";
    static final String INSTALL = "install";
    static final String FIRST_MODEL = "first model";

    /** Runs a market's jobs: on the workers (one per market at a time), or the medium path's beside them. */
    interface Runner {
        void run(MarketUpdater market, String what, Runnable job);

        /** A medium-path job: one per market at a time, on the medium path's worker, beside the market's other jobs. */
        void medium(MarketUpdater market, String what, Runnable job);

        /** Whether the medium path's worker has no job running or waiting. */
        boolean mediumIdle();
    }

    private final UpdaterSettings settings;
    private final UpdaterInput input;
    private final TrunkSchedule trunk;
    private final UpdaterCounters counters;
    private final UpdateReports reports;
    private final String provenance;
    private final Consumer<String> log;
    private final Runner runner;

    MarketPaths(UpdaterSettings settings, UpdaterInput input, TrunkSchedule trunk, UpdaterCounters counters,
                UpdateReports reports, String provenance, Consumer<String> log, Runner runner) {
        this.settings = settings;
        this.input = input;
        this.trunk = trunk;
        this.counters = counters;
        this.reports = reports;
        this.provenance = provenance;
        this.log = log;
        this.runner = runner;
    }

    /** Starts the job due in a market without one running, if any. */
    void schedule(MarketUpdater mu, MarketInput in, Pending p, long now) {
        MarketUpdater.Prepared ready = mu.prepared;
        if (ready != null) {
            mu.prepared = null;
            install(mu, in, p, ready, now);
            return;
        }
        ServedModel fork = input.forks.get(mu.market);
        boolean newer = newerFork(mu, fork);
        if (!mu.tuning) {
            if (newer) {
                prepare(mu, in, fork); // in the background: the fast path serves the current model meanwhile
            } else if (settings.runs("medium") && runner.mediumIdle() && mu.headDue(now)) {
                // a head starts only on an idle worker (after any retrain due: MarketJobs#scheduleAll), with the data
                // of that moment
                head(mu, in, p); // in the background: what follows may start beside it
            }
        }
        if (mu.model == null) {
            if (!newer) {
                firstModel(mu, in, p, now); // no trunk has a model for this market yet
            }
        } else if (!p.isEmpty() && now - p.oldestNanos >= settings.fastDelay().toNanos()) {
            if (settings.runs("fast")) {
                rows(mu, in, p, now);
            } else {
                p.dropWork(); // the model stays as the trunk (or the medium path) left it; the next trunk brings them
            }
        } else if (mu.snapshotDue(now)) {
            runner.run(mu, "snapshot", () -> {
                MarketUpdater.Done d = mu.snapshot();
                counters.snapshot(d);
                reports.send(UpdateReports.event(mu.market, "snapshot", d.version(), mu.trunkVersion, d.seconds()));
            });
        }
    }

    /**
     * A trunk's fork made ready to serve on the medium path's worker, beside the fast path, which goes on with the
     * current model: every user and item read since the fork's data folded in (with the fast path on), measured on
     * the holdouts read so far. Installing it then costs a snapshot, and what it lacks is only what came meanwhile,
     * where installing the fork as it came left thousands of users to fold in while new interactions waited. With
     * the medium path on, the install guard keeps the fork out if it validates below the model served by more than
     * the rollback margin on the same holdouts (a bootstrap trunk on a fraction of the data can be a step back).
     */
    private void prepare(MarketUpdater mu, MarketInput in, ServedModel fork) {
        Map<String, Long> through = fork.meta().trainedThrough();
        Long watermark = fork.meta().watermarkMillis();
        Map<String, List<String>> users = Map.of();
        Map<String, List<String>> items = Map.of();
        if (settings.runs("fast")) {
            Pending since = new Pending();
            since.addSince(in, u -> fork.users().indexOf(u) >= 0, through);
            users = in.itemsOf(since.users);
            items = in.itemsToFit(users, i -> fork.items().indexOf(i) >= 0);
            through = input.offsets();
            watermark = input.watermark(mu.market);
        }
        boolean guarded = settings.runs("medium") && mu.model != null;
        MarketUpdater.InstallJob job = new MarketUpdater.InstallJob(users, items, new ArrayList<>(in.catalogue),
                new HashMap<>(in.trainCounts), through, watermark, measure(mu, in, guarded));
        runner.medium(mu, "install", () -> {
            MarketUpdater.Prepared ready = mu.prepare(fork, job);
            Double current = ready.valid() != null ? mu.validThen(job) : null;
            if (current != null && ready.valid() < current - settings.rollbackMargin()) {
                mu.keptOutTrunk = fork.trunkVersion();
                log.accept(String.format("updater: %s trunk v%d's model kept out: valid nDCG@10 %.4f against the served "
                        + "model's %.4f on the %d holdouts read so far (margin %.2f); the next trunk's is measured again",
                        mu.market, fork.trunkVersion(), ready.valid(), current, job.holdouts().size(),
                        settings.rollbackMargin()));
                refused(mu, fork.trunkVersion(), ready, current);
                return;
            }
            mu.prepared = ready;
        });
    }

    /** A prepared model replaces the market's model; then what came after it was prepared is re-fitted. */
    private void install(MarketUpdater mu, MarketInput in, Pending p, MarketUpdater.Prepared ready, long now) {
        long[] covered = p.takeCovered(ready.through());
        runner.run(mu, INSTALL, () -> {
            MarketUpdater.Done d = mu.install(ready);
            counters.snapshot(d);
            served(covered);
            reports.send(UpdateReports.event(mu.market, "snapshot", d.version(), mu.trunkVersion, d.seconds())
                    .setValidNdcg10(d.validNdcg()));
        });
        // users with data after it was prepared, and users it lacks; the install counted the popularity of everything read so far
        NcfModel m = ready.model();
        p.resetTo(in, u -> m.users().indexOf(CrossMarketDataset.userKey(mu.market, u)) >= 0, ready.through(), now);
    }

    /**
     * A market no trunk has a model for gets one of its own as soon as it has enough to train on
     * ({@link UpdaterSettings#firstModelInteractions()}): its single-market NMF, trained in seconds on a
     * worker and installed like a fork of trunk version 0, so the next trunk's fork replaces it. Users
     * it lacks and data that came after its snapshot go to the fast path, as after a trunk.
     */
    private void firstModel(MarketUpdater mu, MarketInput in, Pending p, long now) {
        if (settings.firstModelInteractions() == 0 || !ownModelCheck(mu, now)) {
            return;
        }
        long eligible = in.eligibleInteractions(settings.minInteractions());
        if (eligible < settings.firstModelInteractions() || (mu.ownModelAt > 0 && eligible < 2 * mu.ownModelAt)) {
            return;
        }
        mu.ownModelAt = eligible;
        OwnJob job = ownJob(mu, in, eligible, false);
        long[] covered = p.takeCovered(job.install().through());
        runner.run(mu, FIRST_MODEL, () -> {
            MarketUpdater.Prepared ready = trainOwn(mu, job, null, UpdaterProvenance.Own.FIRST);
            MarketUpdater.Done d = mu.install(ready);
            counters.snapshot(d);
            served(covered);
            log.accept(String.format("updater: %s has a first model of its own (single-market NMF on %d users, %d "
                    + "training interactions) in %.1fs%s", mu.market, job.split().users().size(), eligible,
                    ready.seconds(), job.firstRead() == null ? "" : String.format(
                            ", %.1fs after its first training interaction was read",
                            (System.currentTimeMillis() - job.firstRead()) / 1e3)));
            reports.send(UpdateReports.event(mu.market, "first", d.version(), 0, ready.seconds())
                    .setValidNdcg10(d.validNdcg()));
        });
        Set<String> known = new HashSet<>();
        job.split().users().forEach(u -> known.add(u.user()));
        p.resetTo(in, known::contains, job.install().through(), now);
    }

    /**
     * The market whose own model the medium path retrains next, if the medium path's worker is idle: of the markets
     * due one (see {@link #refreshGrowthDue}), the one whose data grew most since its own model was last trained (a
     * market whose data quadrupled waited behind markets that had grown by a quarter). Null if none.
     */
    MarketUpdater mostGrown(Iterable<MarketUpdater> markets) {
        if (!settings.runs("medium") || !runner.mediumIdle()) {
            return null;
        }
        MarketUpdater best = null;
        double most = 0;
        for (MarketUpdater mu : markets) {
            // a market with a model to install, or a newer fork to prepare, does that first (schedule)
            boolean other = mu.tuning || mu.prepared != null || newerFork(mu, input.forks.get(mu.market));
            double g = other ? -1 : refreshGrowthDue(mu, input.market(mu.market));
            if (g > most) {
                most = g;
                best = mu;
            }
        }
        return best;
    }

    private static boolean newerFork(MarketUpdater mu, ServedModel fork) {
        return fork != null && fork.trunkVersion() > Math.max(mu.trunkVersion, mu.keptOutTrunk);
    }

    /**
     * Retrains the market's own model on the medium path's worker with the data read until now: the market
     * {@link #mostGrown} chose, started whether or not a fast-path job of it runs (the two share nothing but the
     * model's lock, under which the model served now is copied to measure the retrain against).
     */
    void refresh(MarketUpdater mu) {
        MarketInput in = input.market(mu.market);
        refresh(mu, in, in.eligibleInteractions(settings.minInteractions()));
    }

    /**
     * Whether the medium path retrains the market's own model: once its eligible training interactions grew by
     * {@link UpdaterSettings#refreshGrowth()} since its own model was last trained. A market whose first model
     * came from a trunk starts counting from its first check. Returns how many times the eligible interactions of
     * the last own model there are now when it is due, else -1.
     */
    private double refreshGrowthDue(MarketUpdater mu, MarketInput in) {
        if (mu.model == null || settings.refreshGrowth() == 0 || in == null) {
            return -1;
        }
        long eligible = in.eligibleInteractions(settings.minInteractions()); // kept as the input changes: no scan
        if (mu.ownModelAt == 0) {
            mu.ownModelAt = eligible;
            return -1;
        }
        return eligible >= (1 + settings.refreshGrowth()) * mu.ownModelAt ? (double) eligible / mu.ownModelAt : -1;
    }

    /**
     * The medium path retrains the market's own model from scratch on everything read (the offline recipe,
     * seconds to train where a trunk takes minutes) and, if it validates above the model served on the same
     * holdouts, makes it ready to install in place of it, with the trunk version of the model it replaces (the
     * next trunk's fork replaces it in turn). Between trunks the served model's item rows are those of the
     * trunk's data, re-fitted row by row; this keeps a market no worse than its own batch model on validation.
     */
    private void refresh(MarketUpdater mu, MarketInput in, long eligible) {
        mu.ownModelAt = eligible;
        OwnJob job = ownJob(mu, in, eligible, true);
        long trunkVersion = mu.trunkVersion;
        runner.medium(mu, "own model", () -> {
            // the last own model's copy is made here, on the medium worker, not on the poll thread
            NcfModel from = settings.continueOwn() ? mu.ownToContinue() : null;
            MarketUpdater.Prepared ready = trainOwn(mu, job, from, UpdaterProvenance.Own.RETRAINED);
            Double current = mu.validThen(job.install());
            boolean better = ready.valid() != null && (current == null || ready.valid() > current);
            boolean moved = mu.trunkVersion != trunkVersion;
            log.accept(String.format("updater: %s own model retrained %s on %d users, %d training interactions in %.1fs: "
                    + "valid nDCG@10 %s against the served model's %s on the %d holdouts read so far: %s", mu.market,
                    from != null ? "from its last" : "from scratch", job.split().users().size(), eligible,
                    ready.seconds(), MarketUpdater.fmt(ready.valid()),
                    MarketUpdater.fmt(current), job.install().holdouts().size(),
                    moved ? "dropped, the market moved to trunk v" + mu.trunkVersion + " meanwhile"
                            : better ? "served from the next install" : "kept out"));
            if (better && !moved) {
                mu.prepared = ready;
            } else if (!better) {
                refused(mu, mu.trunkVersion, ready, current);
            }
        });
    }

    /** A prepared model kept out as ranking the holdouts below the served one: counted and reported. */
    private void refused(MarketUpdater mu, long trunkVersion, MarketUpdater.Prepared ready, Double current) {
        counters.refused.incrementAndGet();
        reports.send(UpdateReports.event(mu.market, "refused", mu.version, trunkVersion, ready.seconds())
                .setValidNdcg10(ready.valid()).setPreviousNdcg10(current));
    }

    /** Counting a market's eligible interactions costs its users: once a second is soon enough (poll thread). */
    private static boolean ownModelCheck(MarketUpdater mu, long now) {
        if (now - mu.ownModelCheckedNanos < 1_000_000_000L) {
            return false;
        }
        mu.ownModelCheckedNanos = now;
        return true;
    }

    /** What training a market's own model needs, copied on the poll thread. */
    private record OwnJob(MarketSplit split, MarketUpdater.InstallJob install, Long firstRead) {
    }

    /** {@code compared}: the model served now is copied with the holdouts, to measure the new one against. */
    private OwnJob ownJob(MarketUpdater mu, MarketInput in, long eligible, boolean compared) {
        MarketSplit split = in.split(settings.minInteractions());
        MarketUpdater.InstallJob install = new MarketUpdater.InstallJob(Map.of(), Map.of(), new ArrayList<>(in.catalogue),
                new HashMap<>(in.trainCounts), input.offsets(), input.watermark(mu.market),
                measure(mu, in, compared && mu.model != null));
        return new OwnJob(split, install, input.firstReadMillis(mu.market));
    }

    /** The holdouts and items read so far, and ({@code compared}) a copy of the model served now to measure against. */
    private MarketUpdater.Measure measure(MarketUpdater mu, MarketInput in, boolean compared) {
        return new MarketUpdater.Measure(in.holdouts(settings.minInteractions(), settings.validationUsers(), settings.seed()),
                in.pool(), compared ? mu.served(null) : null);
    }

    /**
     * Trains a market's own model ({@code from}: the last one as trained to continue from, or null: from scratch) and
     * prepares it to serve as a model of the trunk version the market has now.
     */
    private MarketUpdater.Prepared trainOwn(MarketUpdater mu, OwnJob job, NcfModel from, UpdaterProvenance.Own own) {
        long t0 = System.nanoTime();
        NcfModel m = from != null ? trunk.continueOwn(from, job.split())
                : trunk.ownModel(job.split(), own == UpdaterProvenance.Own.FIRST);
        ModelMeta meta = ModelMeta.builder(mu.market, 0, own == UpdaterProvenance.Own.FIRST ? 0 : mu.trunkVersion)
                .trainedThrough(job.install().through()).watermarkMillis(job.install().watermark())
                .createdAtMillis(System.currentTimeMillis()).provenance(UpdaterProvenance.asOwnModel(provenance, own))
                .build();
        return mu.prepare(MarketModels.served(mu.market, m, meta, new int[0], new int[0]), job.install(), t0);
    }

    /**
     * The fast path: the pending users' rows re-fitted, new users and items folded in, items whose sales
     * doubled since their row was fitted re-fitted ({@link MarketUpdater#itemDue}), published as a delta.
     */
    private void rows(MarketUpdater mu, MarketInput in, Pending p, long now) {
        NcfModel model = mu.model;
        List<String> sold = new ArrayList<>(p.sold);
        Map<String, Integer> popularity = new HashMap<>(p.popularity);
        Pending.Job taken = p.takeJob(now, input.offsets());
        Map<String, List<String>> users = in.itemsOf(taken.users());
        // items new to the model, and those whose training interactions doubled since their row was fitted
        Map<String, List<String>> items = in.itemsToFit(users, i -> model.items().indexOf(i) >= 0
                && !mu.itemDue(i, in.trainCounts.getOrDefault(i, 0)));
        MarketUpdater.RowJob job = new MarketUpdater.RowJob(users, items, sold, popularity, taken.through(),
                input.watermark(mu.market), taken.promotedMillis());
        int known = (int) users.keySet().stream()
                .filter(u -> model.users().indexOf(CrossMarketDataset.userKey(mu.market, u)) >= 0).count();
        runner.run(mu, ROWS, () -> {
            MarketUpdater.Done d = mu.refreshRows(job);
            if (d.refused()) {
                return; // nothing changed: nothing published
            }
            counters.rowDeltas.incrementAndGet();
            counters.bytes.addAndGet(d.bytes());
            counters.foldedUsers.addAndGet(d.users() - known);
            counters.foldedItems.addAndGet(d.items());
            served(job.promotedMillis());
            reports.send(UpdateReports.event(mu.market, "rows", d.version(), mu.trunkVersion, d.seconds())
                    .setInteractions(job.promotedMillis().length).setNewUsers(Math.max(0, d.users() - known)));
        });
    }

    /** The medium path: the head fine-tuned on a sample of the market's users, kept only if it validates better. */
    private void head(MarketUpdater mu, MarketInput in, Pending p) {
        MarketUpdater.HeadJob job = new MarketUpdater.HeadJob(in.sample(settings.headSample(), settings.seed() ^ mu.version),
                in.holdouts(settings.minInteractions(), settings.validationUsers(), settings.seed()), in.pool(),
                p.coveredThrough(input.offsets()), input.watermark(mu.market));
        runner.medium(mu, "head", () -> {
            MarketUpdater.Done d = mu.tuneHead(job);
            if (!d.refused()) {
                counters.headDeltas.incrementAndGet();
                counters.bytes.addAndGet(d.bytes());
            } else if (d.validNdcg() != null) {
                counters.refused.incrementAndGet();
            } else {
                return; // nothing to tune on
            }
            reports.send(UpdateReports.event(mu.market, d.refused() ? "refused" : "head", d.refused() ? mu.version
                    : d.version(), mu.trunkVersion, d.seconds()).setValidNdcg10(d.validNdcg())
                    .setPreviousNdcg10(d.previousNdcg()));
        });
    }

    /** The updater's freshness count: interactions promoted at these times are in a published model now. */
    private void served(long[] promotedMillis) {
        long done = System.currentTimeMillis();
        for (long t : promotedMillis) {
            counters.freshness.add(done - t);
        }
    }
}
