package io.xmrec.model.updater;

import io.xmrec.model.recipe.Recipes;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.Topics;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ServedModel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The continual model-updater: reads {@code xmrec.train}, {@code xmrec.holdouts} and
 * {@code xmrec.forks} and keeps every market's model following the stream on three paths:
 * <ul>
 *   <li><b>fast</b> (per market, interactions coalesced over {@code fastDelay}): the touched users'
 *       rows re-fitted from their current rows, new users and items folded in, published as a small
 *       delta ({@link MarketUpdater#refreshRows});</li>
 *   <li><b>medium</b> (per market, every {@code headInterval} once enough is new): the market's head
 *       fine-tuned on a sample over all its users, guarded against the current version on every
 *       eligible user's holdout ({@link MarketUpdater#tuneHead});</li>
 *   <li><b>slow</b> (its own thread, on the updater that owns the trunk): the served recipe trained
 *       from scratch on a snapshot of every market, the same recipe and epochs as offline
 *       ({@link TrunkTrainer}), whenever the data grew by {@code retrainGrowth} or the input is
 *       caught up; its forks go out on {@code xmrec.forks} and each market's owner installs its own
 *       and then re-fits, on the fast path, every user whose data came after the trunk's snapshot.</li>
 * </ul>
 * Several updaters in one consumer group share the markets ({@link MarketAssignor}); each market
 * publishes through a transactional channel that fences its previous owner ({@link Publisher}). A
 * market taken over (or after a restart) continues from its newest published version, read back
 * through {@link ModelClient}. A record that cannot be decoded is counted, logged with its offset
 * and skipped.
 *
 * <p>The parts, each with one job: {@link UpdaterInput} reads and keeps the input,
 * {@link GroupMembership} follows the group, {@link MarketJobs} runs the fast and medium paths and
 * installs of the owned markets, {@link TrunkSchedule} the slow path; this class wires them and runs
 * the poll loop, which owns the consumers.
 */
public final class ContinualUpdater implements AutoCloseable {

    /** The consumer group the updaters share markets in, and how long a silent member keeps its markets. */
    public record Group(String id, Duration sessionTimeout) {
        public Group {
            if (id == null || id.isBlank() || sessionTimeout.toMillis() < 1000) {
                throw new IllegalArgumentException("updater group id must be set and the session timeout at least 1 s: "
                        + id + ", " + sessionTimeout);
            }
        }

        public static Group defaults() {
            return new Group(Topics.PREFIX + "xmrec-updater", Duration.ofSeconds(15));
        }
    }

    private final Consumer<String> log;
    private final ModelClient published;
    private final Publisher publisher;
    private final UpdaterCounters counters = new UpdaterCounters();
    private final UpdaterInput input;
    private final TrunkSchedule trunk;
    private final MarketJobs jobs;
    private final GroupMembership membership;
    private volatile boolean closing;
    /** The thread in {@link #runUntil}, which owns the consumers while it runs. */
    private volatile Thread loop;

    public ContinualUpdater(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, int maxModelBytes,
                            UpdaterSettings settings, Group groupSettings, String codeVersion, Consumer<String> log) {
        this.log = log;
        Recipes.get(settings.trunkMethod()); // an unknown method is refused here, with the known ones
        String provenance = UpdaterProvenance.of(settings, codeVersion);
        this.input = new UpdaterInput(bootstrap, clientProps, serde, counters, log, new UpdaterInput.Listener() {
            @Override
            public void trained(String market, String user, String item, boolean newItem, String partition, long offset,
                                long promotedMillis, long now) {
                jobs.trained(market, user, item, newItem, new Pending.Promoted(user, partition, offset, promotedMillis), now);
            }

            @Override
            public void sold(String market, List<String> items, long now) {
                jobs.sold(market, items, now);
            }

            @Override
            public void fork(ServedModel fork, long now) {
                trunk.forkRead(fork, now);
            }
        });
        this.published = new ModelClient(bootstrap, clientProps, serde);
        this.publisher = new Publisher(bootstrap, clientProps, serde, maxModelBytes);
        this.trunk = new TrunkSchedule(settings, publisher, counters, provenance, log);
        this.jobs = new MarketJobs(settings, input, trunk, publisher, published, counters, provenance, log);
        this.membership = new GroupMembership(bootstrap, clientProps, groupSettings, log, new GroupMembership.Member() {
            @Override
            public MarketAssignor.Claim claim() {
                return new MarketAssignor.Claim(jobs.held(), new java.util.TreeSet<>(input.seen), membership.trunkOwner());
            }

            @Override
            public void awaitJobs() {
                jobs.awaitIdle();
            }

            @Override
            public void handOver(String trunkGone) {
                jobs.dropUnowned(membership::owns);
                if (trunkGone != null) {
                    trunk.cancel(trunkGone);
                }
            }
        });
    }

    /** Daemon threads named {@code name-1}, {@code name-2}, ... */
    static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs until {@code stop} says so (checked between polls) or {@link #close} is called from another thread. */
    public void runUntil(BooleanSupplier stop) {
        loop = Thread.currentThread();
        try {
            while (!stop.getAsBoolean() && !closing) {
                step(Duration.ofMillis(50));
            }
            if (!closing) {
                trunk.cancel("the updater is stopping"); // a stop cancels training at once; close() does the rest
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // close() woke the poll up
        } finally {
            loop = null;
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** One poll of the group and the input, then whatever became due. */
    public void step(Duration poll) {
        membership.poll();
        input.poll(poll);
        long now = System.nanoTime();
        trunk.adoptSize(input);
        if (membership.suspended() || closing) {
            return;
        }
        membership.rebalanceForNew(input.seen);
        if (membership.planned()) {
            input.retain(membership::keeps);
        }
        jobs.acquireOwned(membership::owns);
        if (membership.trunkOwner() && input.holdsEverySeen()) {
            trunk.startIfDue(now, input);
        }
        jobs.scheduleAll(now);
    }

    /** The counters. */
    public UpdaterStats stats() {
        double[] v = counters.visibility.percentiles();
        return new UpdaterStats(new UpdaterStats.Input(input.interactions(), counters.badRecords.get(), input.caughtUp(),
                v[0], v[1], input.heldInteractions()), counters.published(), counters.trunk(membership.trunkOwner(), trunk.training()), jobs.stats(),
                counters.jobs());
    }

    /** The newest trunk version known (trained here or read on the fork topic). */
    public long trunkVersion() {
        return trunk.version();
    }

    /** Each owned market's newest published version. */
    public Map<String, Long> versions() {
        return jobs.stats().versions();
    }

    /** The markets whose input this updater keeps: its own, or all when it trains the trunk. */
    public java.util.SortedSet<String> heldMarkets() {
        return new java.util.TreeSet<>(input.heldInteractions().keySet());
    }

    /** The followed published models (what this updater continues from). */
    public ModelClient published() {
        return published;
    }

    /** Stops everything within seconds: the trunk and the jobs are interrupted, not finished. */
    @Override
    public void close() {
        closing = true;
        // training stops at once, not after the polling thread has left (it may take seconds to): what a job would
        // still publish meanwhile is work the next owner does again
        trunk.cancel("the updater is closing");
        jobs.interrupt();
        Thread running = loop;
        if (running != null && running != Thread.currentThread()) {
            // the consumers belong to the polling thread: wake it, let it leave, then close them here
            input.wakeup();
            membership.wakeup();
            synchronized (this) {
                long until = System.nanoTime() + 5_000_000_000L;
                while (loop != null && System.nanoTime() < until) {
                    try {
                        wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        trunk.cancel("the updater is closing");
        jobs.close();
        trunk.close();
        published.close();
        publisher.close();
        membership.close();
        input.close();
    }
}
