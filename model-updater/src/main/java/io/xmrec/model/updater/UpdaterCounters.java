package io.xmrec.model.updater;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/** The updater's counters, counted by the poll thread, the workers and the trunk's thread. */
final class UpdaterCounters {
    final AtomicLong badRecords = new AtomicLong();
    final AtomicLong snapshots = new AtomicLong();
    final AtomicLong rowDeltas = new AtomicLong();
    final AtomicLong headDeltas = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong trunks = new AtomicLong();
    final AtomicLong references = new AtomicLong();
    final AtomicLong foldedUsers = new AtomicLong();
    final AtomicLong foldedItems = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final DoubleAdder trunkSeconds = new DoubleAdder();
    /** Training interactions in the snapshot of the newest trunk trained here. */
    volatile long trunkInteractions;
    /** Promotion to a published model trained on it, and promotion to being read here (the holdout job's commit). */
    final LatencyWindow freshness = new LatencyWindow(10_000);
    final LatencyWindow visibility = new LatencyWindow(10_000);
    /** The markets' jobs: waiting for a worker, and how long fast-path jobs and installs ran. */
    final LatencyWindow queued = new LatencyWindow(10_000);
    final LatencyWindow fastJobs = new LatencyWindow(10_000);
    final LatencyWindow installs = new LatencyWindow(10_000);

    /** A snapshot published (a fork or first model installed, or a periodic one): counted with its bytes. */
    void snapshot(MarketUpdater.Done d) {
        snapshots.incrementAndGet();
        bytes.addAndGet(d.bytes());
    }

    UpdaterStats.Published published() {
        return new UpdaterStats.Published(snapshots.get(), rowDeltas.get(), headDeltas.get(), refused.get(),
                references.get(), foldedUsers.get(), foldedItems.get(), bytes.get());
    }

    UpdaterStats.Jobs jobs() {
        double[] q = queued.percentiles();
        double[] f = fastJobs.percentiles();
        double[] i = installs.percentiles();
        return new UpdaterStats.Jobs(q[0], q[1], f[0], f[1], i[0], i[1]);
    }

    UpdaterStats.Trunk trunk(boolean owner, boolean training) {
        return new UpdaterStats.Trunk(owner, training, trunks.get(), trunkSeconds.sum(), trunkInteractions);
    }
}
