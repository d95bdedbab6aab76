package io.xmrec.core.metrics;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OfflineEvaluatorTest {

    private static CrossMarketDataset in() {
        return CrossMarketDataset.of(List.of(new LeaveOneOutSplitter(7).split(TestData.market("in"))));
    }

    /** Scores 1 for the user's held-out item of the given split, 0 otherwise. */
    private static Scorer oracle(IndexedMarket m, Split split) {
        int[] heldOut = new int[100_000];
        Arrays.fill(heldOut, -1);
        for (int r = 0; r < m.users(); r++) {
            heldOut[m.userIndex(r)] = split == Split.TEST ? m.testItem(r) : m.validationItem(r);
        }
        return (u, i) -> {
            float[] s = new float[u.length];
            for (int k = 0; k < u.length; k++) {
                s[k] = heldOut[u[k]] == i[k] ? 1f : 0f;
            }
            return s;
        };
    }

    @Test
    void constantScorerGetsZeroAndPerfectScorerOneOnBothCandidateSets() {
        CrossMarketDataset d = in();
        IndexedMarket m = d.target();
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(m, d.items(), 99, 42);
        MarketEvaluation constant = OfflineEvaluator.evaluate((u, i) -> new float[u.length], m, d.items(), negs, true);
        for (Split s : Split.values()) {
            assertEquals(0.0, constant.summary(s, false, 10).hitRate(), s.label());
            assertEquals(0.0, constant.summary(s, true, 10).ndcg(), s.label());
            // ties: the held-out item is last among the 100 sampled candidates
            assertEquals(100, Arrays.stream(constant.ranks(s, false)).min().orElseThrow());
        }
        MarketEvaluation perfect = OfflineEvaluator.evaluate(oracle(m, Split.TEST), m, d.items(), negs, true);
        assertEquals(1.0, perfect.summary(Split.TEST, false, 10).hitRate());
        assertEquals(1.0, perfect.summary(Split.TEST, false, 10).ndcg());
        assertEquals(1.0, perfect.summary(Split.TEST, true, 10).ndcg());
        assertEquals(m.users(), perfect.summary(Split.TEST, true, 10).users());
    }

    @Test
    void sampledOnlyPathGivesTheSameSampledRanksAsThePoolPath() {
        CrossMarketDataset d = in();
        IndexedMarket m = d.target();
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(m, d.items(), 99, 42);
        Scorer hash = (u, i) -> {
            float[] s = new float[u.length];
            for (int k = 0; k < u.length; k++) {
                s[k] = ((u[k] * 31 + i[k] * 17) % 23) / 23f; // many ties on purpose
            }
            return s;
        };
        MarketEvaluation a = OfflineEvaluator.evaluate(hash, m, d.items(), negs, true);
        MarketEvaluation b = OfflineEvaluator.evaluate(hash, m, d.items(), negs, false);
        for (Split s : Split.values()) {
            assertEquals(Arrays.toString(a.ranks(s, false)), Arrays.toString(b.ranks(s, false)));
        }
        // early stopping's cheaper path: the validation items only, the same summary
        assertEquals(a.summary(Split.VALIDATION, false, 10), OfflineEvaluator.validation(hash, m, d.items(), negs, 10));
    }

    @Test
    void fullRankingExcludesTrainingItemsButKeepsAHeldOutItemTheUserAlsoTrainedOn() {
        // user "u" rated x twice: once in training, once as the test item
        List<Interaction> ev = new ArrayList<>();
        String[] items = {"a", "b", "c", "d", "e", "x", "v", "x"};
        for (int k = 0; k < items.length; k++) {
            ev.add(new Interaction("u", items[k], 5, k, k));
        }
        for (int k = 0; k < 7; k++) {
            ev.add(new Interaction("w", "p" + k, 5, k, 100 + k));
        }
        CrossMarketDataset d = CrossMarketDataset.of(List.of(new LeaveOneOutSplitter(7).split("xx", ev)));
        IndexedMarket m = d.target();
        int row = m.userId(0).equals("u") ? 0 : 1;
        assertEquals("x", d.items().id(m.testItem(row)));
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(m, d.items(), 99, 1);
        int x = d.items().indexOf("x");
        int v = d.items().indexOf("v");
        int p0 = d.items().indexOf("p0");
        // x is scored 0.5; every other item 0.9 except v (validation) and p0 at 0.1
        Scorer s = (u, i) -> {
            float[] out = new float[u.length];
            for (int k = 0; k < u.length; k++) {
                out[k] = i[k] == x ? 0.5f : (i[k] == v || i[k] == p0) ? 0.1f : 0.9f;
            }
            return out;
        };
        MarketEvaluation e = OfflineEvaluator.evaluate(s, m, d.items(), negs, true);
        // candidates for u's test: pool minus u's training items (a b c d e x) = {v, x(held out), p0..p6};
        // ahead of x: p1..p6 (0.9) -> rank 7
        assertEquals(7, e.ranks(Split.TEST, true)[row]);
    }
}
