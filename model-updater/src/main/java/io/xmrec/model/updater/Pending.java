package io.xmrec.model.updater;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** What has come in for an owned market since its last fast-path job; the poll thread's. */
final class Pending {
    final Set<String> users = new TreeSet<>();
    final List<String> sold = new ArrayList<>();
    final Map<String, Integer> popularity = new HashMap<>();
    final List<Long> promoted = new ArrayList<>();
    long oldestNanos;

    boolean isEmpty() {
        return users.isEmpty() && sold.isEmpty();
    }

    void clear() {
        users.clear();
        sold.clear();
        popularity.clear();
        promoted.clear();
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
        clear();
        users.addAll(after.users);
        oldestNanos = now;
    }
}
