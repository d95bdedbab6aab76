package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.net.NetShape;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.RowFitter;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fold's fits start from the average row, known rows too, so what a re-fit gives does not depend on where
 * the row's last fit left it: fits that started from the last fit moved further at every job and drifted away
 * from the trained rows they are ranked against (FoldInProbe, in bench/results/continual-value.md). Shown on
 * jp's NMF: models that differ only in which of two users (or two items) holds which row re-fit a user (an item)
 * to the same scores.
 */
class MarketRowsTest {

    @Test
    void aReFittedRowDoesNotDependOnWhereItsLastFitLeftIt() {
        MarketSplit split = new LeaveOneOutSplitter(LeaveOneOutSplitter.DEFAULT_MIN_INTERACTIONS).split(TestData.market("jp"));
        NcfModel a = Recipes.trainChain("nmf", CrossMarketDataset.of(List.of(split)),
                ContinualUpdaterIntegrationTest.quick().training(), 99, line -> { }).get("nmf").model();
        UserSplit one = split.users().get(0);
        UserSplit other = split.users().get(1);
        String item = one.train().get(0).item();
        String otherItem = other.train().get(0).item();
        int u = a.users().indexOf(CrossMarketDataset.userKey("jp", one.user()));
        int v = a.users().indexOf(CrossMarketDataset.userKey("jp", other.user()));
        int i = a.items().indexOf(item);
        int j = a.items().indexOf(otherItem);
        // the same model with the two users' rows swapped, and one with the two items': the averages, where fits
        // start, hold (up to the order of a sum)
        NetShape s = a.net().shape();
        NcfModel users = a.copy();
        swap(users.net().get(NetShape.GMF_USER), s.gmfDim(), u, v);
        swap(users.net().get(NetShape.MLP_USER), s.mlpDim(), u, v);
        NcfModel items = a.copy();
        swap(items.net().get(NetShape.GMF_ITEM), s.gmfDim(), i, j);
        swap(items.net().get(NetShape.MLP_ITEM), s.mlpDim(), i, j);
        swap(items.net().get(NetShape.ITEM_BIAS), 1, i, j);

        // a user's fit reads the item rows (the same in a and users), an item's the user rows (a and items)
        Map<String, List<String>> trained = Map.of(one.user(), one.train().stream().map(t -> t.item()).toList());
        int[] all = IntStream.range(0, a.items().size()).toArray();
        float[] before = served(a).score(u, all);
        float[] ua = served(fold(a, trained, Map.of())).score(u, all);
        float[] ub = served(fold(users, trained, Map.of())).score(u, all);
        assertArrayEquals(ua, ub, 1e-3f, "the user's scores after the re-fit");
        assertTrue(IntStream.range(0, all.length).anyMatch(k -> Math.abs(ua[k] - before[k]) > 1e-2), "the re-fit moved them");

        Map<String, List<String>> buyers = Map.of(item, split.users().subList(2, 12).stream().map(UserSplit::user).toList());
        NcfModel fa = fold(a, Map.of(), buyers);
        NcfModel fi = fold(items, Map.of(), buyers);
        for (int w = 0; w < a.users().size(); w += 7) {
            assertArrayEquals(served(fa).score(w, new int[] {i}), served(fi).score(w, new int[] {i}), 1e-3f,
                    "user row " + w + "'s score of the re-fitted item");
        }
    }

    private static ServedModel served(NcfModel m) {
        return MarketModels.served("jp", m, ModelMeta.builder("jp", 0, 0).provenance("{}").build(), new int[0], new int[0]);
    }

    private static NcfModel fold(NcfModel m, Map<String, List<String>> users, Map<String, List<String>> items) {
        MarketRows rows = new MarketRows();
        Map<String, Integer> counts = new HashMap<>();
        for (int k = 0; k < m.items().size(); k++) {
            counts.put(m.items().id(k), 1);
        }
        rows.reset(m, List.copyOf(counts.keySet()), counts);
        return rows.fold(m.copy(), "jp", RowFitter.Options.streaming(), users, items, List.of(), Map.of()).model();
    }

    private static void swap(float[] table, int cols, int x, int y) {
        for (int c = 0; c < cols; c++) {
            float t = table[x * cols + c];
            table[x * cols + c] = table[y * cols + c];
            table[y * cols + c] = t;
        }
    }

}
