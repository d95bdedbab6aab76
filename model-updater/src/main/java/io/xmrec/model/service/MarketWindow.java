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
        while (order.size() > capacity) {
            String u = order.removeFirst();
            Deque<Interaction> d = train.get(u);
            d.removeFirst();
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
     * {@code minInteractions} interactions in the window, whose items all pass {@code knownItem}.
     */
    MarketSplit split(int minInteractions, Collection<String> only, Predicate<String> knownItem) {
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
            if (t.size() + 2 < minInteractions || !knownItem.test(h.getValidItem()) || !knownItem.test(h.getTestItem())
                    || t.stream().anyMatch(i -> !knownItem.test(i.item()))) {
                dropped++;
                continue;
            }
            Interaction v = new Interaction(u, h.getValidItem(), 5f, Math.floorDiv(h.getValidTime().toEpochMilli(), DAY),
                    Long.MAX_VALUE - 1);
            Interaction x = new Interaction(u, h.getTestItem(), 5f, Math.floorDiv(h.getTestTime().toEpochMilli(), DAY),
                    Long.MAX_VALUE);
            users.add(new UserSplit(u, List.copyOf(t), v, x));
        }
        return new MarketSplit(market, List.copyOf(users), dropped, minInteractions);
    }
}
