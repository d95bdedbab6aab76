package io.xmrec.experiments;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.metrics.MarketEvaluation;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnalysesTest {

    private static UserSplit user(String id, int n) {
        List<Interaction> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            t.add(new Interaction(id, "i" + i, 5f, i, i));
        }
        return new UserSplit(id, t, new Interaction(id, "v", 5f, n, n), new Interaction(id, "t", 5f, n + 1, n + 1));
    }

    @Test
    void keepsAFractionOfEachUsersTrainingInOrderAndTheHoldoutsAsTheyWere() {
        MarketSplit s = new MarketSplit("m", List.of(user("a", 10), user("b", 3), user("c", 1)), 0, 3);
        MarketSplit half = Analyses.keepFraction(s, 0.5, 42);
        assertEquals(List.of(5, 2, 1), half.users().stream().map(u -> u.train().size()).toList());
        for (int k = 0; k < 3; k++) {
            UserSplit before = s.users().get(k);
            UserSplit after = half.users().get(k);
            assertTrue(before.train().containsAll(after.train()));
            for (int j = 1; j < after.train().size(); j++) {
                assertTrue(after.train().get(j - 1).seq() < after.train().get(j).seq(), "original order kept");
            }
            assertEquals(before.validation(), after.validation());
            assertEquals(before.test(), after.test());
        }
        assertEquals(half, Analyses.keepFraction(s, 0.5, 42), "seeded");
        assertTrue(s == Analyses.keepFraction(s, 1.0, 42));
        assertThrows(IllegalArgumentException.class, () -> Analyses.keepFraction(s, 0, 42));
    }

    @Test
    void groupsRunFromColdToWarmWithEqualSizes() {
        List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6", "u7");
        Map<String, Integer> counts = new HashMap<>();
        int[] train = {9, 1, 4, 2, 8, 3, 5};
        for (int i = 0; i < users.size(); i++) {
            counts.put(users.get(i), train[i]);
        }
        // the warmest users rank their test item first, the coldest last
        int[] ranks = {1, 100, 5, 50, 1, 20, 3};
        MarketEvaluation ev = new MarketEvaluation("m", users, ranks, ranks, null, null);
        List<Analyses.GroupResult> g = Analyses.userGroups("x", ev, counts, 3, 10);
        assertEquals(List.of(3, 2, 2), g.stream().map(Analyses.GroupResult::users).toList());
        assertEquals(1, g.get(0).minTrain());
        assertEquals(3, g.get(0).maxTrain());
        assertEquals(4, g.get(1).minTrain());
        assertEquals(9, g.get(2).maxTrain());
        assertEquals(0.0, g.get(0).hitRate(), 1e-12, "ranks 100, 50, 20: none in the top 10");
        assertEquals(1.0, g.get(2).ndcg(), 1e-12, "u5 and u1 rank first");
        assertTrue(g.get(1).ndcg() > g.get(0).ndcg() && g.get(2).ndcg() > g.get(1).ndcg());
    }
}
