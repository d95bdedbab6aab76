package io.xmrec.model.service;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TrainingInteraction;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the updater keeps of one market: the newest {@code capacity} training interactions (older
 * ones are forgotten first, whoever they belong to) and every user's current holdout. From it come
 * leave-one-out splits for (re-)training and evaluation.
 */
final class MarketWindow {

    static final long DAY = 86_400_000L;

    private final String market;
    private final int capacity;
    private final Map<String, Deque<Interaction>> train = new HashMap<>();
    private final Deque<String> order = new ArrayDeque<>();
    private final Map<String, HoldoutState> holdouts = new TreeMap<>();
    /** Items in the window with how often they occur, and the held-out items: the market's item pool. */
    private final Map<String, Integer> itemCounts = new HashMap<>();

    MarketWindow(String market, int capacity) {
        this.market = market;
        this.capacity = capacity;
    }

    String market() {
        return market;
    }

    static Interaction interaction(TrainingInteraction t) {
        long ms = t.getEventTime().toEpochMilli();
        return new Interaction(t.getUser(), t.getItem(), t.getRating(), Math.floorDiv(ms, DAY), t.getArrival());
    }

    void add(TrainingInteraction t) {
        Interaction i = interaction(t);
        train.computeIfAbsent(i.user(), u -> new ArrayDeque<>()).addLast(i);
        order.addLast(i.user());
        itemCounts.merge(i.item(), 1, Integer::sum);
        while (order.size() > capacity) {
            String u = order.removeFirst();
            Deque<Interaction> d = train.get(u);
            Interaction gone = d.removeFirst();
            itemCounts.computeIfPresent(gone.item(), (k, n) -> n == 1 ? null : n - 1);
            if (d.isEmpty()) {
                train.remove(u);
            }
        }
    }

    void holdout(HoldoutState h) {
        HoldoutState old = holdouts.get(h.getUser());
        if (old == null || h.getVersion() >= old.getVersion()) {
            holdouts.put(h.getUser(), h);
        }
    }

    /** The items of the market's training interactions in the window (its pool for negatives), in no order. */
    java.util.Set<String> items() {
        return itemCounts.keySet();
    }

    /** Training interactions in the window of users who would be in a split (a validation item and enough history). */
    long eligibleInteractions(int minInteractions) {
        long n = 0;
        for (Map.Entry<String, HoldoutState> e : holdouts.entrySet()) {
            Deque<Interaction> t = train.get(e.getKey());
            int size = t == null ? 0 : t.size();
            if (e.getValue().getValidItem() != null && size + 2 >= minInteractions) {
                n += size;
            }
        }
        return n;
    }

    /**
     * The split of the users (all, or those {@code only} keeps) with a validation item and at least
     * {@code minInteractions} interactions in the window, whose items all pass {@code knownItem}:
     * what models are evaluated on.
     */
    MarketSplit split(int minInteractions, Collection<String> only, Predicate<String> knownItem) {
        return split(minInteractions, only, knownItem, false);
    }

    /**
     * The same users for training on a model's vocabulary: interactions with items the model does
     * not know are left out instead of the user, and a held-out item the model does not know stands
     * in as the user's last known item (training takes positives from the training interactions
     * only; held-out items only keep negatives away, and an unknown item is never drawn anyway).
     */
    MarketSplit trainable(int minInteractions, Collection<String> only, Predicate<String> knownItem) {
        return split(minInteractions, only, knownItem, true);
    }

    private MarketSplit split(int minInteractions, Collection<String> only, Predicate<String> knownItem, boolean training) {
        List<UserSplit> users = new ArrayList<>();
        int dropped = 0;
        Collection<String> who = only != null ? new java.util.TreeSet<>(only) : holdouts.keySet();
        for (String u : who) {
            HoldoutState h = holdouts.get(u);
            if (h == null || h.getValidItem() == null) {
                dropped++;
                continue;
            }
            List<Interaction> t = new ArrayList<>(train.getOrDefault(u, new ArrayDeque<>()));
            if (t.size() + 2 < minInteractions) {
                dropped++;
                continue;
            }
            String valid = h.getValidItem();
            String test = h.getTestItem();
            if (training) {
                t.removeIf(i -> !knownItem.test(i.item()));
                if (t.isEmpty()) {
                    dropped++;
                    continue;
                }
                String last = t.get(t.size() - 1).item();
                valid = knownItem.test(valid) ? valid : last;
                test = knownItem.test(test) ? test : last;
            } else if (!knownItem.test(valid) || !knownItem.test(test) || t.stream().anyMatch(i -> !knownItem.test(i.item()))) {
                dropped++;
                continue;
            }
            Interaction v = new Interaction(u, valid, 5f, Math.floorDiv(h.getValidTime().toEpochMilli(), DAY),
                    Long.MAX_VALUE - 1);
            Interaction x = new Interaction(u, test, 5f, Math.floorDiv(h.getTestTime().toEpochMilli(), DAY),
                    Long.MAX_VALUE);
            users.add(new UserSplit(u, List.copyOf(t), v, x));
        }
        return new MarketSplit(market, List.copyOf(users), dropped, minInteractions);
    }
}
