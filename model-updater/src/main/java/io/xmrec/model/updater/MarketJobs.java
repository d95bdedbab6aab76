package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.model.NcfModel;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ServedModel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The markets this updater owns: taking one on (fencing its previous owner, continuing from its
 * newest published version), giving it up, what is pending for each, and their jobs on a pool of
 * workers, one job per market at a time; {@link MarketPaths} decides which job is due.
 */
final class MarketJobs implements AutoCloseable {

    private final UpdaterSettings settings;
    private final UpdaterInput input;
    private final TrunkSchedule trunk;
    private final Publisher publisher;
    private final ModelClient published;
    private final UpdaterCounters counters;
    private final UpdateReports reports;
    private final String provenance;
    private final Consumer<String> log;
    private final ExecutorService workers;
    /** The medium path's worker: heads train here, beside the fast path's re-fits on the workers. */
    private final ExecutorService medium;
    private final MarketPaths paths;
    private final Map<String, MarketUpdater> markets = new ConcurrentSkipListMap<>();
    private final Map<String, Pending> pending = new HashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    /** Medium-path jobs running or waiting for the medium path's worker. */
    private final AtomicInteger mediumJobs = new AtomicInteger();
    private volatile boolean closing;
    /** Per owned market, users with training interactions its model has no rows for; counted on the poll thread. */
    private volatile Map<String, Integer> usersWithoutRows = Map.of();
    private long usersWithoutRowsNext;

    MarketJobs(UpdaterSettings settings, UpdaterInput input, TrunkSchedule trunk, Publisher publisher, ModelClient published,
               UpdaterCounters counters, String provenance, Consumer<String> log) {
        this.settings = settings;
        this.input = input;
        this.trunk = trunk;
        this.publisher = publisher;
        this.published = published;
        this.counters = counters;
        this.reports = new UpdateReports(publisher, log);
        this.provenance = provenance;
        this.log = log;
        this.workers = Executors.newFixedThreadPool(settings.workers(), ContinualUpdater.threads("xmrec-updater-market"));
        this.medium = Executors.newSingleThreadExecutor(ContinualUpdater.threads("xmrec-updater-medium"));
        this.paths = new MarketPaths(settings, input, trunk, counters, reports, provenance, log, new MarketPaths.Runner() {
            @Override
            public void run(MarketUpdater market, String what, Runnable job) {
                MarketJobs.this.run(market, what, job, false);
            }

            @Override
            public void medium(MarketUpdater market, String what, Runnable job) {
                MarketJobs.this.run(market, what, job, true);
            }

            @Override
            public boolean mediumIdle() {
                return mediumJobs.get() == 0;
            }
        });
    }

    /** A training interaction read: pending for its market's fast path when this updater owns it. */
    void trained(String market, String user, String item, boolean newItem, Pending.Promoted promoted, long now) {
        Pending p = pending.get(market);
        if (p != null) {
            p.startingAt(now);
            p.users.add(user);
            p.popularity.merge(item, 1, Integer::sum);
            p.waiting.add(promoted);
            counters.visibility.add(System.currentTimeMillis() - promoted.millis());
            if (newItem) {
                p.sold.add(item);
            }
        }
    }

    /** Items new to a market's stream: pending for its fast path when this updater owns it. */
    void sold(String market, List<String> items, long now) {
        Pending p = pending.get(market);
        if (p != null) {
            p.startingAt(now);
            p.sold.addAll(items);
        }
    }

    /** Takes on every market read that the plan gives this updater and it does not hold yet. */
    void acquireOwned(Predicate<String> owns) {
        for (String m : input.markets.keySet()) {
            if (owns.test(m) && !markets.containsKey(m)) {
                acquire(m);
            }
        }
    }

    /**
     * Takes a market on: fences its previous owner, continues from its newest published version
     * (if any), and makes pending every user whose data came after what that version trained on.
     */
    private void acquire(String market) {
        Publisher.Channel channel;
        try {
            channel = publisher.open(market);
            if (!published.sync(Duration.ofSeconds(30))) {
                channel.close();
                log.accept("updater: " + market + ": the published models could not be read to their end; trying again");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            log.accept("updater: cannot take " + market + " on yet: " + e.getMessage());
            return;
        }
        MarketUpdater mu = new MarketUpdater(market, settings, channel, provenance, log);
        Pending p = new Pending();
        ServedModel last = published.model(market);
        if (last != null) {
            mu.takeOver(last);
            trunk.tookOver(last.trunkVersion());
            log.accept(String.format("updater: took %s over at v%d (trunk v%d)", market, last.version(), last.trunkVersion()));
            p.addSince(input.market(market), u -> last.users().indexOf(u) >= 0, last.meta().trainedThrough());
        }
        p.oldestNanos = System.nanoTime();
        pending.put(market, p);
        markets.put(market, mu);
    }

    /** Gives up every market {@code owns} no longer gives this updater. */
    void dropUnowned(Predicate<String> owns) {
        for (MarketUpdater mu : new ArrayList<>(markets.values())) {
            if (!owns.test(mu.market)) {
                markets.remove(mu.market);
                pending.remove(mu.market);
                mu.channel().close();
                log.accept("updater: " + mu.market + " handed over" + (mu.version > 0 ? " at v" + mu.version : ""));
            }
        }
    }

    /** Waits (up to two minutes) until no job runs: a rebalance lets them finish and publish first. */
    void awaitIdle() {
        long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (running.get() > 0 && System.nanoTime() < until && !closing) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Starts what became due in each owned market without a job running. */
    void scheduleAll(long now) {
        // the medium path's worker, when idle, retrains the own model of the market whose data grew most, with the
        // data of this moment (queued behind other markets' jobs, a retrain trained on what was read when it was queued)
        MarketUpdater refreshFirst = paths.mostGrown(markets.values());
        if (refreshFirst != null) {
            paths.refresh(refreshFirst);
        }
        for (MarketUpdater mu : markets.values()) {
            if (!mu.busy) {
                paths.schedule(mu, input.market(mu.market), pending.get(mu.market), now);
            }
        }
        if (now - usersWithoutRowsNext >= 0) {
            long t0 = System.nanoTime();
            countUsersWithoutRows();
            // a scan of every owned user: every second, but at most a twentieth of the poll thread's time (at 100x
            // XMarket's size a scan took most of a second and starved the reading of the input)
            long t1 = System.nanoTime();
            usersWithoutRowsNext = t1 + Math.max(1_000_000_000L, 20 * (t1 - t0));
        }
    }

    private void run(MarketUpdater mu, String what, Runnable job, boolean mediumPath) {
        if (closing) {
            return; // interrupted: no new job
        }
        if (mediumPath) {
            mu.tuning = true;
            mediumJobs.incrementAndGet();
        } else {
            mu.busy = true;
        }
        running.incrementAndGet();
        try {
            submit(mu, what, job, mediumPath);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done(mu, mediumPath); // interrupted between the check and here
        }
    }

    /** A market's job has ended (or never started): its path is free again. */
    private void done(MarketUpdater mu, boolean mediumPath) {
        if (mediumPath) {
            mu.tuning = false;
            mediumJobs.decrementAndGet();
        } else {
            mu.busy = false;
        }
        running.decrementAndGet();
    }

    private void submit(MarketUpdater mu, String what, Runnable job, boolean mediumPath) {
        long due = System.nanoTime();
        (mediumPath ? medium : workers).execute(() -> {
            long start = System.nanoTime();
            try {
                job.run();
                if (!mediumPath) {
                    timed(what, due, start);
                }
            } catch (Publisher.Fenced e) {
                log.accept("updater: " + mu.market + ": " + e.getMessage());
                markets.remove(mu.market, mu);
            } catch (CancellationException e) {
                log.accept("updater: " + what + " of " + mu.market + " stopped: the updater is closing");
            } catch (RuntimeException | Error e) {
                if (closing) {
                    log.accept("updater: " + what + " of " + mu.market + " stopped: the updater is closing");
                } else {
                    log.accept("updater: " + what + " of " + mu.market + " failed, v" + mu.version + " stays: " + e);
                }
            } finally {
                done(mu, mediumPath);
            }
        });
    }

    /** A worker's job that ended normally: its wait for a worker, and its own time by kind. */
    private void timed(String what, long due, long start) {
        long end = System.nanoTime();
        counters.queued.add((start - due) / 1_000_000);
        switch (what) {
            case MarketPaths.ROWS -> counters.fastJobs.add((end - start) / 1_000_000);
            case MarketPaths.INSTALL, MarketPaths.FIRST_MODEL -> counters.installs.add((end - start) / 1_000_000);
            default -> { }
        }
    }

    /** On the poll thread, which owns the inputs: the users each owned market's model does not know yet. */
    private void countUsersWithoutRows() {
        Map<String, Integer> without = new TreeMap<>();
        for (MarketUpdater mu : markets.values()) {
            NcfModel m = mu.model;
            MarketInput in = input.markets.get(mu.market);
            if (in != null) {
                int missing = 0;
                for (Map.Entry<String, MarketInput.User> e : in.users.entrySet()) {
                    if (!e.getValue().train.isEmpty()
                            && (m == null || m.users().indexOf(CrossMarketDataset.userKey(mu.market, e.getKey())) < 0)) {
                        missing++;
                    }
                }
                without.put(mu.market, missing);
            }
        }
        usersWithoutRows = without;
    }

    /** What /metrics and tests see of the owned markets. */
    UpdaterStats.Markets stats() {
        Map<String, Long> versions = new TreeMap<>();
        Map<String, Long> decided = new TreeMap<>();
        for (MarketUpdater mu : markets.values()) {
            versions.put(mu.market, mu.version);
            decided.put(mu.market, Math.max(mu.trunkVersion, mu.keptOutTrunk));
        }
        double[] f = counters.freshness.percentiles();
        return new UpdaterStats.Markets(new TreeSet<>(markets.keySet()), versions, f[0], f[1], usersWithoutRows, decided);
    }

    /** The markets this updater holds now. */
    java.util.SortedSet<String> held() {
        return new TreeSet<>(markets.keySet());
    }

    /** Interrupts every job (training stops between two steps) and takes no new one; {@link #close} waits for them. */
    void interrupt() {
        closing = true;
        workers.shutdownNow();
        medium.shutdownNow();
    }

    @Override
    public void close() {
        interrupt();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
            medium.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (MarketUpdater mu : markets.values()) {
            mu.channel().close();
        }
        markets.clear();
    }
}
