package io.xmrec.core.dataset;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Several markets' splits over one shared item vocabulary (items are shared across markets) and
 * one user vocabulary whose keys are scoped by market ({@code market/user}: users are
 * market-specific). The first market is the target.
 */
public final class CrossMarketDataset {

    private final IdVocabulary users;
    private final IdVocabulary items;
    private final Map<String, IndexedMarket> markets;

    private CrossMarketDataset(IdVocabulary users, IdVocabulary items, Map<String, IndexedMarket> markets) {
        this.users = users;
        this.items = items;
        this.markets = markets;
    }

    /** The market-scoped key of a user in the user vocabulary. */
    public static String userKey(String market, String user) {
        return market + "/" + user;
    }

    /** Indexes the given splits; the first is the target market. */
    public static CrossMarketDataset of(List<MarketSplit> splits) {
        if (splits.isEmpty()) {
            throw new IllegalArgumentException("no markets given");
        }
        // hash sets, sorted once by the vocabularies: sorted sets cost a tree insertion per interaction (minutes at
        // 100x XMarket's size, for every market's data set of every trunk)
        Set<String> userKeys = new HashSet<>();
        Set<String> itemIds = new HashSet<>();
        for (MarketSplit s : splits) {
            for (UserSplit u : s.users()) {
                userKeys.add(userKey(s.market(), u.user()));
                u.train().forEach(e -> itemIds.add(e.item()));
                itemIds.add(u.validation().item());
                itemIds.add(u.test().item());
            }
        }
        return withVocabularies(splits, IdVocabulary.of(userKeys), IdVocabulary.of(itemIds));
    }

    /**
     * Indexes splits over given vocabularies (a model's, when more data arrives for it); every user
     * and item of the splits must be in them.
     */
    public static CrossMarketDataset withVocabularies(List<MarketSplit> splits, IdVocabulary users, IdVocabulary items) {
        if (splits.isEmpty()) {
            throw new IllegalArgumentException("no markets given");
        }
        Map<String, IndexedMarket> out = new LinkedHashMap<>();
        for (MarketSplit s : splits) {
            if (out.containsKey(s.market())) {
                throw new IllegalArgumentException("market " + s.market() + " given twice");
            }
            out.put(s.market(), index(s, users, items));
        }
        return new CrossMarketDataset(users, items, out);
    }

    private static IndexedMarket index(MarketSplit s, IdVocabulary userVocab, IdVocabulary itemVocab) {
        int n = s.users().size();
        String[] ids = new String[n];
        int[] uidx = new int[n];
        int[][] train = new int[n][];
        int[] valid = new int[n];
        int[] test = new int[n];
        int[][] rated = new int[n][];
        boolean[] inPool = new boolean[itemVocab.size()];
        for (int r = 0; r < n; r++) {
            UserSplit u = s.users().get(r);
            ids[r] = u.user();
            uidx[r] = userVocab.require(userKey(s.market(), u.user()));
            List<Interaction> t = u.train();
            train[r] = new int[t.size()];
            for (int i = 0; i < t.size(); i++) {
                train[r][i] = itemVocab.require(t.get(i).item());
            }
            valid[r] = itemVocab.require(u.validation().item());
            test[r] = itemVocab.require(u.test().item());
            int[] all = Arrays.copyOf(train[r], train[r].length + 2);
            all[all.length - 2] = valid[r];
            all[all.length - 1] = test[r];
            rated[r] = sortedDistinct(all);
            for (int i : rated[r]) {
                inPool[i] = true;
            }
        }
        int[] poolArr = IntStream.range(0, inPool.length).filter(i -> inPool[i]).toArray();
        return new IndexedMarket(s.market(), ids, uidx, train, valid, test, rated, poolArr);
    }

    /**
     * One market's training data alone, on given vocabularies, for training only (a streaming
     * model's fine-tuning): users' training items by vocabulary index, no held-out items (they are
     * -1; nothing may evaluate this data set), negatives from {@code pool} (sorted item indices).
     */
    public static CrossMarketDataset trainingOnly(String market, List<String> userKeys, List<int[]> trainItems, int[] pool,
                                                  IdVocabulary users, IdVocabulary items) {
        int n = userKeys.size();
        String[] ids = new String[n];
        int[] uidx = new int[n];
        int[][] train = new int[n][];
        int[] none = new int[n];
        Arrays.fill(none, -1);
        int[][] rated = new int[n][];
        for (int r = 0; r < n; r++) {
            String key = userKeys.get(r);
            int slash = key.indexOf('/');
            ids[r] = slash < 0 ? key : key.substring(slash + 1);
            uidx[r] = users.require(key);
            train[r] = trainItems.get(r);
            rated[r] = sortedDistinct(train[r]);
        }
        Map<String, IndexedMarket> out = new LinkedHashMap<>();
        out.put(market, new IndexedMarket(market, ids, uidx, train, none, none.clone(), rated, pool.clone()));
        return new CrossMarketDataset(users, items, out);
    }

    /**
     * The same vocabularies with only some markets to train on (in the order given, the first
     * being the target): fine-tuning a cross-market model on its target alone.
     */
    public CrossMarketDataset restrictedTo(List<String> keep) {
        Map<String, IndexedMarket> out = new LinkedHashMap<>();
        for (String m : keep) {
            out.put(m, market(m));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no markets to keep");
        }
        return new CrossMarketDataset(users, items, out);
    }

    /** The same data set with one market's item pool replaced (see {@link IndexedMarket#withItemPool}). */
    public CrossMarketDataset withItemPool(String market, int[] pool) {
        Map<String, IndexedMarket> out = new LinkedHashMap<>(markets);
        out.put(market, market(market).withItemPool(pool));
        return new CrossMarketDataset(users, items, out);
    }

    public IdVocabulary users() {
        return users;
    }

    public IdVocabulary items() {
        return items;
    }

    /** Markets in order; the first is the target. */
    public List<IndexedMarket> markets() {
        return new ArrayList<>(markets.values());
    }

    public IndexedMarket target() {
        return markets.values().iterator().next();
    }

    public IndexedMarket market(String market) {
        IndexedMarket m = markets.get(market);
        if (m == null) {
            throw new IllegalArgumentException("market " + market + " is not in this data set " + markets.keySet());
        }
        return m;
    }

    /** The distinct values of {@code a}, sorted (a new array). */
    static int[] sortedDistinct(int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (n == 0 || s[i] != s[n - 1]) {
                s[n++] = s[i];
            }
        }
        return n == s.length ? s : Arrays.copyOf(s, n);
    }
}
