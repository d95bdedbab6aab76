package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.model.NcfModel;
import io.xmrec.serving.RowFitter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fast path's item rows: what each was last fitted on, when one is due a re-fit, and the fit.
 * A new item folded in on its first buyer would otherwise keep that row until the next trunk however
 * many buy it after. An item is due once its training interactions have doubled since its row was
 * fitted (by a trunk, or here), so each interaction pays for a bounded number of re-fits; a fit uses at
 * most the {@link #MAX_BUYERS} latest buyers, with the negatives scaled down alike, so that the item's
 * odds stay those of all its buyers and a fit's cost stays bounded for the best sellers.
 */
final class ItemFits {

    /** The most buyers an item's row is fitted on: its latest. */
    static final int MAX_BUYERS = 200;

    /** Training interactions each item's row was last fitted on. */
    private final Map<String, Integer> fittedOn = new ConcurrentHashMap<>();

    /** Every item of a catalogue (row -> training interactions) counted as fitted on what it has now. */
    void fittedOn(Map<Integer, Integer> catalogue, IdVocabulary items) {
        fittedOn.clear();
        catalogue.forEach((row, n) -> fittedOn.put(items.id(row), n));
    }

    /** Whether an item with a row is due a re-fit at {@code interactions} training interactions. */
    boolean due(String item, int interactions) {
        Integer on = fittedOn.get(item);
        return on != null && interactions >= 2 * Math.max(1, on);
    }

    /**
     * Fits the rows of {@code items} of {@code market}'s model on their buyers, {@code perItem} negatives
     * for an item fitted on all its buyers ({@link RowFitter#negativesPerItem}), each from {@code from}.
     */
    void fit(NcfModel model, String market, RowFitter fitter, List<String> items, Map<String, List<String>> buyers,
             int[] userPool, int perItem, RowFitter.Rows from) {
        int[][] pos = new int[items.size()][];
        int[] negatives = new int[items.size()];
        List<RowFitter.Rows> start = new ArrayList<>();
        int[] rows = new int[items.size()];
        for (int k = 0; k < items.size(); k++) {
            rows[k] = model.items().indexOf(items.get(k));
            List<String> all = buyers.getOrDefault(items.get(k), List.of());
            pos[k] = all.subList(Math.max(0, all.size() - MAX_BUYERS), all.size()).stream()
                    .mapToInt(u -> model.users().indexOf(CrossMarketDataset.userKey(market, u))).filter(u -> u >= 0).toArray();
            double kept = Math.min(1, (double) MAX_BUYERS / Math.max(1, all.size()));
            negatives[k] = (int) Math.max(1, Math.round(perItem * kept));
            start.add(from);
            fittedOn.put(items.get(k), all.size());
        }
        List<RowFitter.Rows> fitted = fitter.fitItems(model.net(), pos, userPool, start, items, negatives);
        for (int k = 0; k < items.size(); k++) {
            fitted.get(k).writeItem(model.net(), rows[k]);
        }
    }
}
