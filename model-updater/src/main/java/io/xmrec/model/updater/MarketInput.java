package io.xmrec.model.updater;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.serving.HoldoutEvaluation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Everything the updater has read about one market: each user's training interactions (in the
 * order they were promoted, with where they were read) and current holdout, every item seen in
 * the market's stream, and how often each was trained on. Changed on the poll thread only; jobs get
 * copies of what they need.
 */
final class MarketInput {

    /** A training interaction and where it was read. */
    record Entry(String user, String item, float rating, long eventTime, long arrival, String partition, long offset) {
    }

    static final class User {
        final List<Entry> train = new ArrayList<>();
        String valid;
        long validTime;
        String test;
        long testTime;
        int events;
    }

    final String market;
    final Map<String, User> users = new LinkedHashMap<>();
    final Map<String, Integer> trainCounts = new HashMap<>();
    final TreeSet<String> catalogue = new TreeSet<>();
    /** Per item, the users who trained on it (in order): what an item new to a model is folded in on. */
    final Map<String, List<String>> buyers = new HashMap<>();
    long interactions;
    /** The threshold {@link #eligibleTotal} counts for (-1: not asked yet), and that count, kept as the input changes. */
    private int eligibleMin = -1;
    private long eligibleTotal;

    MarketInput(String market) {
        this.market = market;
    }

    User user(String id) {
        return users.computeIfAbsent(id, k -> new User());
    }

    /** Adds a training interaction; returns whether its item is new to the market. */
    boolean train(Entry e) {
        User u = user(e.user());
        long before = eligibleShare(u);
        u.train.add(e);
        eligibleTotal += eligibleShare(u) - before;
        trainCounts.merge(e.item(), 1, Integer::sum);
        buyers.computeIfAbsent(e.item(), k -> new ArrayList<>()).add(e.user());
        interactions++;
        return catalogue.add(e.item());
    }

    /** A newer holdout of a user (older versions arriving late are ignored). */
    /** Returns the items the holdout makes newly sold in the market. */
    List<String> holdout(String user, String valid, long validTime, String test, long testTime, int events) {
        User u = user(user);
        if (events < u.events) {
            return List.of();
        }
        u.events = events;
        long before = eligibleShare(u);
        u.valid = valid;
        u.validTime = validTime;
        u.test = test;
        u.testTime = testTime;
        eligibleTotal += eligibleShare(u) - before;
        List<String> sold = new ArrayList<>(2);
        if (valid != null && catalogue.add(valid)) {
            sold.add(valid);
        }
        if (catalogue.add(test)) {
            sold.add(test);
        }
        return sold;
    }

    /** A user's training items, in order. */
    List<String> items(String user) {
        User u = users.get(user);
        if (u == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(u.train.size());
        u.train.forEach(t -> out.add(t.item()));
        return out;
    }

    /** Whether a user is evaluated: a validation item and at least {@code min} interactions. */
    boolean eligible(User u, int min) {
        return u.valid != null && u.train.size() + 2 >= min;
    }

    /**
     * The training interactions of the users {@link #eligible} at {@code min}. Asked on the poll thread at every
     * step (is a trunk or a market's own model due?), so not a scan of every user each time (at 100x XMarket's size
     * that starved the reading of the input): the first call, or one with another threshold, counts; the count is
     * then kept as training interactions and holdouts come in.
     */
    long eligibleInteractions(int min) {
        if (min != eligibleMin) {
            long n = 0;
            for (User u : users.values()) {
                if (eligible(u, min)) {
                    n += u.train.size();
                }
            }
            eligibleMin = min;
            eligibleTotal = n;
        }
        return eligibleTotal;
    }

    /** What a user adds to {@link #eligibleTotal}. */
    private long eligibleShare(User u) {
        return eligibleMin >= 0 && eligible(u, eligibleMin) ? u.train.size() : 0;
    }

    /** The leave-one-out split of the eligible users, as offline (users sorted by id). */
    MarketSplit split(int min) {
        List<UserSplit> out = new ArrayList<>();
        int dropped = 0;
        for (Map.Entry<String, User> e : new java.util.TreeMap<>(users).entrySet()) {
            User u = e.getValue();
            if (!eligible(u, min)) {
                dropped++;
                continue;
            }
            List<Interaction> train = new ArrayList<>(u.train.size());
            for (Entry t : u.train) {
                train.add(new Interaction(e.getKey(), t.item(), t.rating(), t.eventTime() / 86_400_000L, t.arrival()));
            }
            out.add(new UserSplit(e.getKey(), train, new Interaction(e.getKey(), u.valid, 5f, u.validTime / 86_400_000L, 0),
                    new Interaction(e.getKey(), u.test, 5f, u.testTime / 86_400_000L, 0)));
        }
        return new MarketSplit(market, out, dropped, min);
    }

    /**
     * The eligible users' holdouts and rated items, what the rollback guard and the log evaluate on: every eligible
     * user's up to {@code max}, above it those whose ids hash lowest under {@code seed}, so the sample keeps the same
     * users as the market grows (a user leaves it only for a new one that hashes lower). Only the chosen users' rated
     * items are gathered.
     */
    List<HoldoutEvaluation.UserHoldout> holdouts(int min, int max, long seed) {
        List<String> ids = new ArrayList<>();
        users.forEach((id, u) -> {
            if (eligible(u, min)) {
                ids.add(id);
            }
        });
        if (ids.size() > max) {
            ids.sort(java.util.Comparator.comparingLong((String id) -> rank(seed, id)).thenComparing(id -> id));
            return holdoutsOf(ids.subList(0, max));
        }
        return holdoutsOf(ids);
    }

    /** The holdout and rated items of each of {@code ids} (eligible users), in that order. */
    private List<HoldoutEvaluation.UserHoldout> holdoutsOf(List<String> ids) {
        List<HoldoutEvaluation.UserHoldout> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            User u = users.get(id);
            List<String> rated = new ArrayList<>(u.train.size() + 2);
            u.train.forEach(t -> rated.add(t.item()));
            rated.add(u.valid);
            rated.add(u.test);
            out.add(new HoldoutEvaluation.UserHoldout(id, u.valid, u.test, rated));
        }
        return out;
    }

    /** A user's place in the seeded order of {@link #holdouts} (a 64-bit mix of seed and id). */
    static long rank(long seed, String user) {
        long z = seed * 0x9E3779B97F4A7C15L + user.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The market's items, sorted: the pool evaluation negatives come from. */
    String[] pool() {
        return catalogue.toArray(new String[0]);
    }

    /** Training items of a seeded sample of the market's users, up to {@code max} interactions: a head's sample. */
    Map<String, List<String>> sample(int max, long seed) {
        List<String> ids = new ArrayList<>(users.keySet());
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int i = ids.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            String t = ids.get(i);
            ids.set(i, ids.get(j));
            ids.set(j, t);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        int n = 0;
        for (String u : ids) {
            if (n >= max) {
                break;
            }
            List<String> items = items(u);
            if (!items.isEmpty()) {
                out.put(u, items);
                n += items.size();
            }
        }
        return out;
    }

    /** The training items of each of {@code ids} that has any, in the given order. */
    Map<String, List<String>> itemsOf(Iterable<String> ids) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String u : ids) {
            List<String> items = items(u);
            if (!items.isEmpty()) {
                out.put(u, items);
            }
        }
        return out;
    }

    /** Of the items these users trained on, those {@code settled} does not pass, each with the users who trained on it. */
    Map<String, List<String>> itemsToFit(Map<String, List<String>> users, java.util.function.Predicate<String> settled) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (List<String> items : users.values()) {
            for (String i : items) {
                if (!settled.test(i) && !out.containsKey(i)) {
                    out.put(i, new ArrayList<>(buyers.getOrDefault(i, List.of())));
                }
            }
        }
        return out;
    }
}
