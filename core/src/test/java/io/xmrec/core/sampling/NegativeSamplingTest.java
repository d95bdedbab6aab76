package io.xmrec.core.sampling;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NegativeSamplingTest {

    @TempDir
    Path tmp;

    private static MarketSplit split(String m) {
        return new LeaveOneOutSplitter(7).split(TestData.market(m));
    }

    @Test
    void trainingSamplesHaveEveryPositiveAndNegativesOutsideTrainingOnly() {
        IndexedMarket m = CrossMarketDataset.of(List.of(split("in"))).target();
        TrainingSamples s = TrainingSamples.draw(m, 4, new SplittableRandom(1));
        assertEquals(m.trainInteractions() * 5, s.size());
        int positives = 0;
        int heldOutAsNegative = 0;
        int[] rowOf = new int[10_000];
        for (int r = 0; r < m.users(); r++) {
            rowOf[m.userIndex(r)] = r;
        }
        for (int k = 0; k < s.size(); k++) {
            int row = rowOf[s.users()[k]];
            if (s.labels()[k] == 1f) {
                positives++;
                int item = s.items()[k];
                assertTrue(Arrays.stream(m.trainItems(row)).anyMatch(i -> i == item));
            } else {
                int item = s.items()[k];
                assertTrue(Arrays.binarySearch(m.trainedItems(row), item) < 0, "a negative the user trained on");
                if (item == m.validationItem(row) || item == m.testItem(row)) {
                    heldOutAsNegative++;
                }
                assertTrue(Arrays.binarySearch(m.itemPool(), s.items()[k]) >= 0, "negative outside the market pool");
            }
        }
        assertEquals(m.trainInteractions(), positives);
        // a trainer must not learn which items are held out: they are ordinary negatives
        assertTrue(heldOutAsNegative > 0, "held-out items are never drawn as training negatives");
    }

    @Test
    void trainingSamplesAreReproducibleBySeedAndDifferAcrossEpochs() {
        IndexedMarket m = CrossMarketDataset.of(List.of(split("in"))).target();
        TrainingSamples a = TrainingSamples.draw(m, 4, new SplittableRandom(3));
        TrainingSamples b = TrainingSamples.draw(m, 4, new SplittableRandom(3));
        assertArrayEquals(a.items(), b.items());
        assertArrayEquals(a.users(), b.users());
        SplittableRandom rnd = new SplittableRandom(3);
        TrainingSamples e1 = TrainingSamples.draw(m, 4, rnd);
        TrainingSamples e2 = TrainingSamples.draw(m, 4, rnd);
        assertFalse(Arrays.equals(e1.items(), e2.items()), "negatives must be re-sampled each epoch");
    }

    @Test
    void aUserWhoRatedNearlyTheWholePoolGetsOnlyTheItemsLeftTrainingAndEvaluationApart() {
        List<Interaction> ev = new ArrayList<>();
        String[] items = {"a", "b", "c", "d", "e", "f", "g", "h"};
        long seq = 0;
        for (int i = 0; i < 7; i++) {
            ev.add(new Interaction("greedy", items[i], 5, i, seq++));
        }
        for (int i = 0; i < 8; i++) {
            ev.add(new Interaction("other", items[i], 5, i, seq++));
        }
        CrossMarketDataset d = CrossMarketDataset.of(List.of(new LeaveOneOutSplitter(7).split("xx", ev)));
        IndexedMarket m = d.target();
        int row = m.userId(0).equals("greedy") ? 0 : 1;
        int[] out = new int[4];
        // greedy trained on a..e and holds out f (validation) and g (test): f, g and h are training negatives
        int got = TrainingNegatives.draw(m, row, 4, new SplittableRandom(1), out);
        assertEquals(3, got);
        Set<String> drawn = new HashSet<>();
        for (int k = 0; k < got; k++) {
            drawn.add(d.items().id(out[k]));
        }
        assertEquals(Set.of("f", "g", "h"), drawn);
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(m, d.items(), 99, 1);
        assertEquals(1, negs.get("xx", Split.TEST, "greedy").length);
        assertEquals(0, negs.get("xx", Split.TEST, "other").length);
    }

    @Test
    void evaluationNegativesAreDistinctUnratedReproducibleAndIndependentOfOtherMarkets() {
        CrossMarketDataset single = CrossMarketDataset.of(List.of(split("jp")));
        CrossMarketDataset cross = CrossMarketDataset.of(List.of(split("jp"), split("in")));
        EvaluationNegatives a = EvaluationNegatives.empty().sample(single.target(), single.items(), 99, 42);
        EvaluationNegatives b = EvaluationNegatives.empty().sample(cross.target(), cross.items(), 99, 42);
        EvaluationNegatives other = EvaluationNegatives.empty().sample(single.target(), single.items(), 99, 43);
        IndexedMarket m = single.target();
        int differ = 0;
        for (int r = 0; r < m.users(); r++) {
            for (Split s : Split.values()) {
                String[] n = a.get("jp", s, m.userId(r));
                assertEquals(99, n.length);
                assertEquals(99, new HashSet<>(Arrays.asList(n)).size(), "distinct");
                Set<String> rated = new HashSet<>();
                for (int i : m.ratedItems(r)) {
                    rated.add(single.items().id(i));
                }
                for (String id : n) {
                    assertFalse(rated.contains(id), "negative " + id + " was rated by " + m.userId(r));
                }
                assertArrayEquals(n, b.get("jp", s, m.userId(r)), "same negatives with a source market in the vocabulary");
                if (!Arrays.equals(n, other.get("jp", s, m.userId(r)))) {
                    differ++;
                }
            }
            assertFalse(Arrays.equals(a.get("jp", Split.VALIDATION, m.userId(r)), a.get("jp", Split.TEST, m.userId(r))));
        }
        assertNotEquals(0, differ, "the seed must matter");
    }

    @Test
    void theLiveEvaluatorsDrawEqualsTheOfflineOne() {
        CrossMarketDataset single = CrossMarketDataset.of(List.of(split("jp")));
        IndexedMarket m = single.target();
        EvaluationNegatives offline = EvaluationNegatives.empty().sample(m, single.items(), 99, 42);
        String[] pool = new String[m.itemPool().length];
        for (int k = 0; k < pool.length; k++) {
            pool[k] = single.items().id(m.itemPool()[k]);
        }
        for (int r = 0; r < m.users(); r++) {
            int[] rated = Arrays.stream(m.ratedItems(r)).map(i -> Arrays.binarySearch(m.itemPool(), i)).sorted().toArray();
            for (Split s : Split.values()) {
                assertArrayEquals(offline.get("jp", s, m.userId(r)),
                        EvaluationNegatives.drawForUser(42, "jp", m.userId(r), s, pool, rated, 99));
            }
        }
    }

    @Test
    void evaluationNegativesRoundTripThroughAFile() {
        CrossMarketDataset d = CrossMarketDataset.of(List.of(split("in")));
        EvaluationNegatives a = EvaluationNegatives.empty().sample(d.target(), d.items(), 99, 42);
        Path f = tmp.resolve("negs.tsv");
        a.write(f);
        EvaluationNegatives b = EvaluationNegatives.read(f);
        assertEquals(a.size(), b.size());
        for (int r = 0; r < d.target().users(); r++) {
            for (Split s : Split.values()) {
                assertArrayEquals(a.get("in", s, d.target().userId(r)), b.get("in", s, d.target().userId(r)));
            }
        }
    }
}
