package io.xmrec.model.updater;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** What has come in for an owned market since its last fast-path job; the poll thread's. */
final class Pending {
    /** A training interaction not yet in a published model: whose, where it was read, and when it was promoted. */
    record Promoted(String user, String partition, long offset, long millis) {
    }

    /**
     * Users with an interaction waiting, in the order they began to wait: the next fast-path job re-fits them (up to
     * {@link #WAITING_PER_JOB}, the first ones).
     */
    final Set<String> users = new LinkedHashSet<>();
    /**
     * Users the served model lacks or has rows from before their data (after an install), with no interaction
     * waiting: re-fitted after those who have, a bounded number per job, so that a new model's backlog does not hold
     * up the interactions that come meanwhile. Those it lacks come first: until then they are answered with the
     * popular items, while the others have rows of their own, only older.
     */
    final Set<String> backlog = new LinkedHashSet<>();
    final List<String> sold = new ArrayList<>();
    final Map<String, Integer> popularity = new HashMap<>();
    /** Interactions waiting for a model, whichever path brings them (for the updater's freshness count). */
    final Waiting waiting = new Waiting();
    long oldestNanos;

    boolean isEmpty() {
        return users.isEmpty() && sold.isEmpty() && backlog.isEmpty();
    }

    /** Forgets the fast path's work but not the interactions waiting: a later model (a trunk's) brings them. */
    void dropWork() {
        users.clear();
        backlog.clear();
        sold.clear();
        popularity.clear();
    }

    /** The promotion times of the interactions a model trained through {@code through} has, no longer waiting. */
    long[] takeCovered(Map<String, Long> through) {
        List<Long> out = new ArrayList<>();
        waiting.takeBefore(through, out::add);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * What a model published now has trained through: {@code readTo} (where the input has been read to), lowered per
     * partition to the first interaction still waiting, so that a model read back after a restart or a takeover does
     * not count as trained on what no job has brought into it yet.
     */
    Map<String, Long> coveredThrough(Map<String, Long> readTo) {
        return waiting.lowered(readTo);
    }

    /** Starts the wait of the next fast-path job at {@code now} if nothing was pending. */
    void startingAt(long now) {
        if (isEmpty()) {
            oldestNanos = now;
        }
    }

    /**
     * Adds what a model has not trained on: users with data read at or after {@code through} (with the
     * popularity of that data), users it lacks ({@code knows} says which it has), and the catalogue.
     */
    void addSince(MarketInput in, Predicate<String> knows, Map<String, Long> through) {
        for (Map.Entry<String, MarketInput.User> e : in.users.entrySet()) {
            boolean known = knows.test(e.getKey());
            for (MarketInput.Entry t : e.getValue().train) {
                if (t.offset() >= through.getOrDefault(t.partition(), 0L)) {
                    users.add(e.getKey());
                    popularity.merge(t.item(), 1, Integer::sum);
                } else if (!known) {
                    users.add(e.getKey());
                }
            }
        }
        sold.addAll(in.catalogue);
    }

    /**
     * After a new model was installed (a trunk's fork, a first model), whose install counted the
     * popularity of everything read: only the users it has not trained on stay pending.
     */
    void resetTo(MarketInput in, Predicate<String> knows, Map<String, Long> through, long now) {
        Pending after = new Pending();
        after.addSince(in, knows, through);
        dropWork();
        for (boolean lacking : new boolean[] {true, false}) {
            for (String u : after.users) {
                if (knows.test(u) != lacking) {
                    (waiting.has(u) ? users : backlog).add(u);
                }
            }
        }
        oldestNanos = now;
    }

    /**
     * Backlog users re-fitted by a job that has no interaction waiting: a few hundred milliseconds of re-fits, so an
     * install's backlog of thousands of users drains in seconds.
     */
    static final int BACKLOG_ALONE = 256;

    /**
     * Backlog users re-fitted beside users with an interaction waiting: tens of milliseconds of re-fits, so that the
     * waiting interactions are served as soon as when there is no backlog. With 256 such a job took up to a second on
     * 2 cores beside a trunk, and interactions read meanwhile waited for it and then for their own
     * (bench/results/freshness.md, 2026-12-07); the backlog drains more slowly while interactions keep coming.
     */
    static final int BACKLOG_BESIDE_WAITING = 32;

    /**
     * Users with an interaction waiting that one fast-path job re-fits at most: about two seconds of re-fits on 2 cores
     * at 100x. At 10 days/s a job has tens of them; read at full speed a market has hundreds of thousands waiting, and
     * one job of them all took minutes (p99 894 s in the demo at 100x), while the market's next job, and the install
     * of a trunk's fork that waits for it, queued behind (bench/results/demo-scale.md, 2026-12-07).
     */
    static final int WAITING_PER_JOB = 2048;

    /**
     * What a fast-path job takes: the users it re-fits, the promotion times of the interactions it serves, and what
     * the model it publishes has trained through: where the input was read to, lowered per partition to the first
     * interaction of a user left for the next job, so that a model read back after a restart does not count those
     * as trained on.
     */
    record Job(Set<String> users, long[] promotedMillis, Map<String, Long> through) {
    }

    /**
     * What the next fast-path job re-fits, taken from what is pending: the users with an interaction waiting, the
     * longest waiting first, at most {@link #WAITING_PER_JOB}, then part of the backlog
     * ({@link #BACKLOG_BESIDE_WAITING} users beside waiting ones, {@link #BACKLOG_ALONE} when none waits). The
     * catalogue's growth goes with the job. Users left waiting keep their interactions and their place, due at once;
     * the rest of the backlog is due again from {@code now}. {@code readTo}: where the input has been read to.
     */
    Job takeJob(long now, Map<String, Long> readTo) {
        Set<String> out = new TreeSet<>();
        for (Iterator<String> it = users.iterator(); out.size() < WAITING_PER_JOB && it.hasNext(); ) {
            out.add(it.next()); // the longest waiting first
            it.remove();
        }
        int backlogLimit = out.isEmpty() ? BACKLOG_ALONE : BACKLOG_BESIDE_WAITING;
        Iterator<String> it = backlog.iterator();
        for (int n = 0; n < backlogLimit && it.hasNext(); n++) {
            String u = it.next();
            it.remove();
            if (!users.contains(u)) {
                out.add(u);
            }
        }
        List<Long> served = new ArrayList<>();
        for (String u : out) {
            waiting.take(u, served::add);
        }
        if (users.isEmpty()) {
            waiting.takeAll(served::add);
        }
        Map<String, Long> through = coveredThrough(readTo);
        sold.clear();
        popularity.clear();
        if (users.isEmpty()) {
            oldestNanos = now;
        }
        return new Job(out, served.stream().mapToLong(Long::longValue).toArray(), through);
    }
}
