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

    @Test
    void theEligibleCountKeptAsTheInputChangesEqualsACountOfEveryUser() {
        MarketInput in = new MarketInput("xx");
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        int[] events = new int[40];
        for (int step = 0; step < 3000; step++) {
            int u = rnd.nextInt(40);
            if (rnd.nextInt(3) == 0) {
                // a holdout, now and then without a validation item (a user's first events), now and then a stale one
                int version = rnd.nextInt(5) == 0 ? events[u] - 1 : ++events[u];
                in.holdout("u" + u, rnd.nextInt(4) == 0 ? null : "v", 1, "t", 2, version);
            } else {
                in.train(new MarketInput.Entry("u" + u, "i" + rnd.nextInt(30), 5f, step, step, "t-0", step));
            }
            if (step == 100) {
                in.eligibleInteractions(5); // from here on the count is kept, not made
            }
            if (step > 100) {
                long scan = 0;
                for (MarketInput.User x : in.users.values()) {
                    scan += in.eligible(x, 5) ? x.train.size() : 0;
                }
                assertEquals(scan, in.eligibleInteractions(5), "after step " + step);
            }
        }
        assertTrue(in.eligibleInteractions(5) > 0);
    }
}
