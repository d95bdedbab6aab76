package io.xmrec.eval.live;

import io.xmrec.serving.HoldoutEvaluation;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A large market is measured on a seeded sample: the same users for every version, with its interval;
 * measuring takes a bounded share of the thread.
 */
class VersionEvaluatorSampleTest {

    private static List<HoldoutEvaluation.UserHoldout> users(int n) {
        List<HoldoutEvaluation.UserHoldout> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(new HoldoutEvaluation.UserHoldout("u" + k, "v", "t", List.of()));
        }
        return out;
    }

    @Test
    void theSampleIsTheSameUsersWhateverTheOrderAndAllBelowTheLimit() {
        List<HoldoutEvaluation.UserHoldout> all = users(500);
        List<HoldoutEvaluation.UserHoldout> a = VersionEvaluator.sample(all, 100, 42);
        List<HoldoutEvaluation.UserHoldout> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new java.util.Random(1));
        List<HoldoutEvaluation.UserHoldout> b = VersionEvaluator.sample(shuffled, 100, 42);
        assertEquals(100, a.size());
        assertEquals(a.stream().map(HoldoutEvaluation.UserHoldout::user).sorted().toList(),
                b.stream().map(HoldoutEvaluation.UserHoldout::user).sorted().toList());
        assertEquals(all, VersionEvaluator.sample(all, 500, 42));
    }

    @Test
    void aMeasurementThatTookLongIsFollowedByAPauseFiveTimesItsLengthSoTheInputKeepsMost() {
        assertEquals(3_000, VersionEvaluator.nextDue(1_000, 2_000, 0.1), "a quick one: every evalEvery");
        assertEquals(16_000, VersionEvaluator.nextDue(1_000, 2_000, 3.0), "3 s of measuring: 15 s before the next");
        double share = 3.0 / (3.0 + (VersionEvaluator.nextDue(0, 2_000, 3.0) / 1000.0));
        assertTrue(share <= 1.0 / 6 + 1e-9, "share of the thread: " + share);
    }

    @Test
    void theIntervalNarrowsWithMoreUsers() {
        int[] few = new int[50];
        int[] many = new int[5000];
        for (int k = 0; k < many.length; k++) {
            many[k] = k % 20 + 1;
            if (k < few.length) {
                few[k] = k % 20 + 1;
            }
        }
        double wide = VersionEvaluator.ci95(few);
        double narrow = VersionEvaluator.ci95(many);
        assertTrue(narrow > 0 && wide > 5 * narrow, wide + " vs " + narrow);
        assertEquals(0.0, VersionEvaluator.ci95(new int[] {1, 1, 1}), 1e-12);
    }
}
