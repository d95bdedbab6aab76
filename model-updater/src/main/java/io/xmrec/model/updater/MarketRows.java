package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.model.NcfModel;
import io.xmrec.serving.RowFitter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A market's catalogue beside its model (item rows sold there and their training interactions), what
 * each item's row was fitted on, and the fold that brings users and items into a model: new ones get
 * rows, known ones are re-fitted, the rest of the network fixed. The fast path folds into the working
 * model; an install folds everything read since a trunk's snapshot into the trunk's fork before the
 * fork is served. Not thread-safe: one job at a time (the market's lock, or a model no one else has yet).
 */
final class MarketRows {

    /** What a fold changed: the model (grown when it appended rows), the ids it appended, the rows it fitted. */
    record Fitted(NcfModel model, List<String> newUsers, List<String> newItems, int[] userRows, int[] itemRows,
                  Map<Integer, Integer> soldAdded) {
        boolean nothing() {
            return userRows.length == 0 && itemRows.length == 0 && soldAdded.isEmpty();
        }
    }

    private final TreeMap<Integer, Integer> catalogue = new TreeMap<>();
    private final ItemFits itemFits = new ItemFits();

    /** The catalogue of a published model (its item rows and their counts), every item counted as fitted on them. */
    void reset(NcfModel model, int[] rows, int[] counts) {
        catalogue.clear();
        for (int k = 0; k < rows.length; k++) {
            catalogue.put(rows[k], counts[k]);
        }
        itemFits.fittedOn(catalogue, model.items());
    }

    /** The catalogue of everything read (what was sold, the training interactions per item), every item counted as fitted. */
    void reset(NcfModel model, List<String> sold, Map<String, Integer> popularity) {
        catalogue.clear();
        add(model, sold, popularity, null);
        itemFits.fittedOn(catalogue, model.items());
    }

    /** Whether an item's row is due a re-fit by the fast path ({@link ItemFits#due}). */
    boolean itemDue(String item, int interactions) {
        return itemFits.due(item, interactions);
    }

    /** The catalogue's item rows, ascending. */
    int[] catalogue() {
        return catalogue.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    /** The catalogue's training interactions, aligned with {@link #catalogue()}. */
    int[] popularity() {
        return catalogue.values().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Folds into {@code model}: items new to it folded in and items due a re-fit re-fitted on their buyers,
     * each against as many negatives as training gives an item ({@link RowFitter#negativesPerItem}); users new
     * to it folded in and known ones re-fitted on all their training items; the items once more, now that their
     * buyers have rows. Every fit starts from the average row of the model as it came, known rows too: a row
     * re-fitted again and again from its last fit drifts away from the trained rows it is ranked against (the
     * fast path's model then ranked new interactions below the same model never updated; from the average row,
     * above it on ca, de, uk and mx: bench/results/continual-value.md, "fold-in probe").
     *
     * @param users users with their training items
     * @param items items with their buyers (new to the model, or due a re-fit)
     */
    Fitted fold(NcfModel model, String market, RowFitter.Options options, Map<String, List<String>> users,
                Map<String, List<String>> items, List<String> sold, Map<String, Integer> popularity) {
        RowFitter fitter = new RowFitter(options);
        // 1. append the new users (average rows for now) and the new items, so every id has a row
        List<String> newUsers = new ArrayList<>();
        for (String u : users.keySet()) {
            if (model.users().indexOf(CrossMarketDataset.userKey(market, u)) < 0) {
                newUsers.add(u);
            }
        }
        List<String> newItems = new ArrayList<>();
        for (String i : items.keySet()) {
            if (model.items().indexOf(i) < 0) {
                newItems.add(i);
            }
        }
        int oldUsers = model.users().size();
        int oldItems = model.items().size();
        RowFitter.Rows avgUser = RowFitter.averageUser(model.net());
        RowFitter.Rows avgItem = RowFitter.averageItem(model.net());
        if (!newUsers.isEmpty() || !newItems.isEmpty()) {
            IdVocabulary us = model.users().appended(newUsers.stream().map(u -> CrossMarketDataset.userKey(market, u)).toList());
            IdVocabulary is = model.items().appended(newItems);
            Net grown = model.net().withRows(us.size(), is.size());
            for (int k = 0; k < newUsers.size(); k++) {
                avgUser.writeUser(grown, oldUsers + k);
            }
            for (int k = 0; k < newItems.size(); k++) {
                avgItem.writeItem(grown, oldItems + k);
            }
            model = model.withRows(us, is, grown);
        }
        Map<Integer, Integer> soldAdded = new TreeMap<>();
        add(model, sold, popularity, soldAdded);
        int[] pool = catalogue();
        int[] userPool = new int[model.users().size()];
        for (int k = 0; k < userPool.length; k++) {
            userPool[k] = k;
        }
        // 2. fold the new items in on their buyers (those due a re-fit have rows to start from)
        List<String> fitted = new ArrayList<>(items.keySet());
        // counted only when an item is fitted: most jobs fit none, and the sum walks the catalogue
        int perItem = fitted.isEmpty() ? 0
                : fitter.negativesPerItem(catalogue.values().stream().mapToLong(Integer::longValue).sum(), pool.length);
        if (!newItems.isEmpty()) {
            itemFits.fit(model, market, fitter, newItems, items, userPool, perItem, avgItem);
        }
        // 3. fold in / re-fit the users on all their training items
        List<String> ids = new ArrayList<>(users.keySet());
        int[][] positives = new int[ids.size()][];
        int[] rows = new int[ids.size()];
        List<RowFitter.Rows> start = new ArrayList<>();
        for (int k = 0; k < ids.size(); k++) {
            rows[k] = model.users().indexOf(CrossMarketDataset.userKey(market, ids.get(k)));
            IdVocabulary vocabulary = model.items();
            positives[k] = users.get(ids.get(k)).stream().mapToInt(vocabulary::indexOf).filter(i -> i >= 0).toArray();
            start.add(avgUser);
        }
        List<RowFitter.Rows> out = fitter.fitUsers(model.net(), positives, pool, start, ids);
        for (int k = 0; k < ids.size(); k++) {
            out.get(k).writeUser(model.net(), rows[k]);
        }
        // 4. the items once more, now that their new buyers have rows of their own
        if (!fitted.isEmpty()) {
            itemFits.fit(model, market, fitter, fitted, items, userPool, perItem, avgItem);
        }
        IdVocabulary vocabulary = model.items();
        return new Fitted(model, newUsers, newItems, Arrays.stream(rows).sorted().distinct().toArray(),
                fitted.stream().mapToInt(vocabulary::indexOf).sorted().toArray(), soldAdded);
    }

    /** Adds what was sold and the popularity of new interactions to the catalogue; into {@code added} what changed. */
    private void add(NcfModel model, List<String> sold, Map<String, Integer> popularity, Map<Integer, Integer> added) {
        IdVocabulary items = model.items();
        for (String item : sold) {
            int row = items.indexOf(item);
            if (row >= 0 && !catalogue.containsKey(row)) {
                catalogue.put(row, 0);
                if (added != null) {
                    added.merge(row, 0, Integer::sum);
                }
            }
        }
        popularity.forEach((item, n) -> {
            int row = items.indexOf(item);
            if (row >= 0) {
                catalogue.merge(row, n, Integer::sum);
                if (added != null) {
                    added.merge(row, n, Integer::sum);
                }
            }
        });
    }
}
