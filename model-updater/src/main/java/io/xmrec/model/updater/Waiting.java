package io.xmrec.model.updater;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * A market's training interactions read and in no published model yet, by user and by partition in the order they
 * were read; the poll thread's. Taking a user's, or everything before given offsets, costs what is taken: at 100x
 * XMarket's size read at full speed millions wait, and a fast-path job every second or two that went over all of them
 * took most of the poll thread, which also reads the input. A user's interactions taken stay in their partition's queue
 * until they reach its front, where they are dropped unseen.
 */
final class Waiting {
    private final Map<String, List<Pending.Promoted>> byUser = new HashMap<>();
    private final Map<String, ArrayDeque<Pending.Promoted>> byPartition = new HashMap<>();
    private int size;

    void add(Pending.Promoted t) {
        byUser.computeIfAbsent(t.user(), u -> new ArrayList<>(2)).add(t);
        byPartition.computeIfAbsent(t.partition(), p -> new ArrayDeque<>()).add(t);
        size++;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Whether the user has an interaction waiting. */
    boolean has(String user) {
        return byUser.containsKey(user);
    }

    /** Takes the user's interactions, giving their promotion times to {@code taken}. */
    void take(String user, LongConsumer taken) {
        List<Pending.Promoted> l = byUser.remove(user);
        if (l != null) {
            l.forEach(t -> taken.accept(t.millis()));
            size -= l.size();
        }
    }

    /** Takes everything. */
    void takeAll(LongConsumer taken) {
        byUser.values().forEach(l -> l.forEach(t -> taken.accept(t.millis())));
        byUser.clear();
        byPartition.clear();
        size = 0;
    }

    /** Takes every interaction read before {@code through} (the next offset per partition; none of a partition it lacks). */
    void takeBefore(Map<String, Long> through, LongConsumer taken) {
        for (Map.Entry<String, ArrayDeque<Pending.Promoted>> e : byPartition.entrySet()) {
            long end = through.getOrDefault(e.getKey(), 0L);
            ArrayDeque<Pending.Promoted> q = e.getValue();
            while (!q.isEmpty() && q.peekFirst().offset() < end) {
                Pending.Promoted t = q.pollFirst();
                List<Pending.Promoted> l = byUser.get(t.user());
                if (l != null && l.remove(t)) {
                    taken.accept(t.millis());
                    size--;
                    if (l.isEmpty()) {
                        byUser.remove(t.user());
                    }
                }
            }
        }
    }

    /** {@code readTo} lowered per partition to the offset of the first interaction waiting there. */
    Map<String, Long> lowered(Map<String, Long> readTo) {
        Map<String, Long> out = new TreeMap<>(readTo);
        for (Map.Entry<String, ArrayDeque<Pending.Promoted>> e : byPartition.entrySet()) {
            ArrayDeque<Pending.Promoted> q = e.getValue();
            while (!q.isEmpty() && !waits(q.peekFirst())) {
                q.pollFirst(); // taken with its user: dropped now it is at the front
            }
            if (!q.isEmpty()) {
                out.merge(e.getKey(), q.peekFirst().offset(), Math::min);
            }
        }
        return out;
    }

    private boolean waits(Pending.Promoted t) {
        List<Pending.Promoted> l = byUser.get(t.user());
        return l != null && l.contains(t);
    }
}
