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
 * path (the head fine-tuned, kept only if it validates better); a periodic snapshot. A job copies
 * what it needs of the input here, on the poll thread, and runs on a worker. The medium path runs on a
 * worker of its own beside the market's other jobs, so a head in training (seconds) does not hold up
 * the fast path's re-fits (milliseconds).
 */
final class MarketPaths {

    /**
     * Users of a new model's backlog (users it lacks, or has rows from before their data) re-fitted per fast-path
     * job beside those with an interaction waiting: a few hundred milliseconds of re-fits, so an install's backlog
     * of thousands of users drains over several jobs instead of holding up the interactions that arrive meanwhile.
     */
    static final int BACKLOG_PER_JOB = 256;

    /** Runs a market's jobs: on the workers (one per market at a time), or the medium path's beside them. */
    interface Runner {
        void run(MarketUpdater market, String what, Runnable job);

        /** A medium-path job: one per market at a time, on the medium path's worker, beside the market's other jobs. */
        void medium(MarketUpdater market, String what, Runnable job);
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
        boolean newer = fork != null && fork.trunkVersion() > mu.trunkVersion;
        if (!mu.tuning) {
            if (newer) {
                prepare(mu, in, fork); // in the background: the fast path serves the current model meanwhile
            } else if (settings.runs("medium") && mu.headDue(now)) {
                head(mu, in); // in the background: what follows may start beside it
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
     * where installing the fork as it came left thousands of users to fold in while new interactions waited.
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
        MarketUpdater.InstallJob job = new MarketUpdater.InstallJob(users, items, new ArrayList<>(in.catalogue),
                new HashMap<>(in.trainCounts), through, watermark,
                in.holdouts(settings.minInteractions(), settings.validationUsers(), settings.seed()), in.pool());
        runner.medium(mu, "install", () -> mu.prepared = mu.prepare(fork, job));
    }

    /** A prepared model replaces the market's model; then what came after it was prepared is re-fitted. */
    private void install(MarketUpdater mu, MarketInput in, Pending p, MarketUpdater.Prepared ready, long now) {
        long[] covered = p.takeCovered(ready.through());
        runner.run(mu, "install", () -> {
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
        if (settings.firstModelInteractions() == 0 || now - mu.firstModelCheckedNanos < 1_000_000_000L) {
            return; // counting costs the market's users: once a second is soon enough
        }
        mu.firstModelCheckedNanos = now;
        long eligible = in.eligibleInteractions(settings.minInteractions());
        if (eligible < settings.firstModelInteractions()
                || (mu.firstModelTriedAt > 0 && eligible < 2 * mu.firstModelTriedAt)) {
            return;
        }
        mu.firstModelTriedAt = eligible;
        MarketSplit split = in.split(settings.minInteractions());
        Map<String, Integer> popularity = new HashMap<>(in.trainCounts);
        List<String> sold = new ArrayList<>(in.catalogue);
        var holdouts = in.holdouts(settings.minInteractions(), settings.validationUsers(), settings.seed());
        String[] pool = in.pool();
        Map<String, Long> at = input.offsets();
        Long wm = input.watermark(mu.market);
        Long firstRead = input.firstReadMillis(mu.market);
        Set<String> known = new HashSet<>();
        split.users().forEach(u -> known.add(u.user()));
        long[] covered = p.takeCovered(at);
        runner.run(mu, "first model", () -> {
            long t0 = System.nanoTime();
            NcfModel m = trunk.firstModel(split);
            ModelMeta meta = ModelMeta.builder(mu.market, 0, 0).trainedThrough(at).watermarkMillis(wm)
                    .createdAtMillis(System.currentTimeMillis())
                    .provenance(UpdaterProvenance.asFirstModel(provenance)).build();
            ServedModel first = MarketModels.served(mu.market, m, meta, new int[0], new int[0]);
            MarketUpdater.Done d = mu.install(mu.prepare(first,
                    new MarketUpdater.InstallJob(Map.of(), Map.of(), sold, popularity, at, wm, holdouts, pool)));
            counters.snapshot(d);
            served(covered);
            double secs = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("updater: %s has a first model of its own (single-market NMF on %d users, %d "
                    + "training interactions) in %.1fs%s", mu.market, split.users().size(), eligible, secs,
                    firstRead == null ? "" : String.format(", %.1fs after its first training interaction was read",
                            (System.currentTimeMillis() - firstRead) / 1e3)));
            reports.send(UpdateReports.event(mu.market, "first", d.version(), 0, secs).setValidNdcg10(d.validNdcg()));
        });
        p.resetTo(in, known::contains, at, now);
    }

    /**
     * The fast path: the pending users' rows re-fitted, new users and items folded in, items whose sales
     * doubled since their row was fitted re-fitted ({@link MarketUpdater#itemDue}), published as a delta.
     */
    private void rows(MarketUpdater mu, MarketInput in, Pending p, long now) {
        NcfModel model = mu.model;
        long[] promoted = p.promoted.stream().mapToLong(Pending.Promoted::millis).toArray();
        List<String> sold = new ArrayList<>(p.sold);
        Map<String, Integer> popularity = new HashMap<>(p.popularity);
        Map<String, List<String>> users = in.itemsOf(p.takeJob(BACKLOG_PER_JOB, now));
        // items new to the model, and those whose training interactions doubled since their row was fitted
        Map<String, List<String>> items = in.itemsToFit(users, i -> model.items().indexOf(i) >= 0
                && !mu.itemDue(i, in.trainCounts.getOrDefault(i, 0)));
        MarketUpdater.RowJob job = new MarketUpdater.RowJob(users, items, sold, popularity, input.offsets(),
                input.watermark(mu.market), promoted);
        int known = (int) users.keySet().stream()
                .filter(u -> model.users().indexOf(CrossMarketDataset.userKey(mu.market, u)) >= 0).count();
        runner.run(mu, "rows", () -> {
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
    private void head(MarketUpdater mu, MarketInput in) {
        MarketUpdater.HeadJob job = new MarketUpdater.HeadJob(in.sample(settings.headSample(), settings.seed() ^ mu.version),
                in.holdouts(settings.minInteractions(), settings.validationUsers(), settings.seed()), in.pool(),
                input.offsets(), input.watermark(mu.market));
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
