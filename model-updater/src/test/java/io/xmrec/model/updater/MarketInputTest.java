package io.xmrec.model.updater;

import io.xmrec.serving.HoldoutEvaluation;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarketInputTest {

    /** A market with users u0..u(n-1), each with seven training interactions and a holdout. */
    private static void addUsers(MarketInput in, int from, int to) {
        for (int u = from; u < to; u++) {
            for (int i = 0; i < 7; i++) {
                in.train(new MarketInput.Entry("u" + u, "i" + (u + i) % 50, 5f, i, i, "t-0", u * 10L + i));
            }
            in.holdout("u" + u, "i" + (u + 7) % 50, 8, "i" + (u + 8) % 50, 9, 9);
        }
    }

    private static Set<String> users(List<HoldoutEvaluation.UserHoldout> hs) {
        Set<String> out = new HashSet<>();
        hs.forEach(h -> out.add(h.user()));
        return out;
    }

    @Test
    void theValidationSampleIsBoundedAndKeepsItsUsersAsTheMarketGrows() {
        MarketInput in = new MarketInput("xx");
        addUsers(in, 0, 300);
        assertEquals(300, in.holdouts(7, 1000, 42).size(), "below the bound: every eligible user");
        Set<String> before = users(in.holdouts(7, 100, 42));
        assertEquals(100, before.size());
        addUsers(in, 300, 3000);
        Set<String> after = users(in.holdouts(7, 100, 42));
        assertEquals(100, after.size());
        // a user leaves the sample only for a new one that ranks lower: the old users kept are all still there
        Set<String> keptOld = new HashSet<>(after);
        keptOld.removeIf(u -> Integer.parseInt(u.substring(1)) >= 300);
        assertTrue(before.containsAll(keptOld), "old users in the new sample were in the old one");
        assertEquals(users(in.holdouts(7, 100, 42)), after, "the same seed gives the same sample");
        assertTrue(!users(in.holdouts(7, 100, 7)).equals(after), "another seed, another sample");
    }
}
