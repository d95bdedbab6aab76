package io.xmrec.model.recipe;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChoiceTest {

    /** Per-user values: the baseline's plus {@code lift}, with per-user noise of {@code noise}. */
    private static Map<String, Double> users(Map<String, Double> base, double lift, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Double> out = new LinkedHashMap<>();
        base.forEach((u, v) -> out.put(u, v + lift + noise * (r.nextDouble() * 2 - 1)));
        return out;
    }

    private static Map<String, Double> baseline(int n) {
        SplittableRandom r = new SplittableRandom(1);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            out.put("u" + i, r.nextDouble());
        }
        return out;
    }

    /** A candidate whose users score the baseline's plus {@code lift}, each moved by up to {@code noise}. */
    private record Lead(String method, double lift, double noise, long seed) {
    }

    /** The baseline {@code nmf} of {@code n} users, and the candidates beside it. */
    private static Map<String, Map<String, Double>> candidates(int n, Lead... leads) {
        Map<String, Double> nmf = baseline(n);
        Map<String, Map<String, Double>> c = new LinkedHashMap<>();
        c.put("nmf", nmf);
        for (Lead l : leads) {
            c.put(l.method(), users(nmf, l.lift(), l.noise(), l.seed()));
        }
        return c;
    }

    @Test
    void aClearlyBetterCandidateReplacesTheBaseline() {
        Map<String, Map<String, Double>> c = candidates(400, new Lead("forec", 0.05, 0.1, 2),
                new Lead("nmf++", 0.02, 0.1, 3));
        Choice ch = Choice.of(c, 1.0);
        assertEquals("forec", ch.method());
        assertEquals(400, ch.users());
        assertEquals(0.05, ch.candidates().get("forec").diff(), 0.01);
    }

    @Test
    void aHigherMeanWithinTheNoiseKeepsTheBaseline() {
        // 0.005 higher on average, but each user moves by up to 0.5 either way: far inside one standard error
        Map<String, Map<String, Double>> c = candidates(200, new Lead("forec", 0.005, 0.5, 4));
        Choice ch = Choice.of(c, 1.0);
        assertTrue(ch.candidates().get("forec").validNdcg() != ch.candidates().get("nmf").validNdcg());
        assertEquals("nmf", ch.method());
        // with no margin the best mean wins when it is above the baseline
        Choice any = Choice.of(c, 0.0);
        assertEquals(any.candidates().get("forec").diff() > 0 ? "forec" : "nmf", any.method());
    }

    @Test
    void ofTwoThatPassTheSurerLeadWinsOverAHairHigherMean() {
        // about the same lead on average: one moves every user a little, the other some users a lot
        Map<String, Map<String, Double>> c = candidates(400, new Lead("noisy", 0.062, 0.6, 6),
                new Lead("steady", 0.060, 0.05, 7));
        Choice ch = Choice.of(c, 1.0);
        Choice.Candidate noisy = ch.candidates().get("noisy");
        Choice.Candidate steady = ch.candidates().get("steady");
        assertTrue(noisy.validNdcg() > steady.validNdcg(), noisy + " " + steady);
        assertTrue(noisy.passes(1.0) && steady.passes(1.0), noisy + " " + steady);
        assertEquals("steady", ch.method());
        // with no margin the higher mean wins
        assertEquals("noisy", Choice.of(c, 0.0).method());
    }

    @Test
    void aWorseCandidateIsNeverChosenAndTheSummaryNamesTheRule() {
        Map<String, Double> nmf = baseline(300);
        Map<String, Map<String, Double>> c = new LinkedHashMap<>();
        c.put("forec", users(nmf, -0.05, 0.01, 5));
        c.put("nmf", nmf);
        Choice ch = Choice.of(c, 0.0);
        assertEquals("nmf", ch.method());
        assertTrue(ch.summary().startsWith("nmf (valid nDCG@10"), ch.summary());
        assertEquals("nmf", ch.describe().get("method"));
        assertThrows(IllegalArgumentException.class, () -> Choice.of(c, -1));
        assertThrows(IllegalArgumentException.class, () -> Choice.of(Map.of(), 1));
    }

    @Test
    void theChoiceIsMadeOnHalfTheUsersAndEarlyStoppingWatchesTheOther() {
        int deciding = 0;
        for (int i = 0; i < 10_000; i++) {
            deciding += Choice.decides("in", "u" + i) ? 1 : 0;
        }
        assertTrue(deciding > 4_800 && deciding < 5_200, deciding + " of 10,000");
        assertEquals(Choice.decides("in", "u1"), Choice.decides("in", "u1"));
        // a candidate far better on the users early stopping watches, equal on the deciding ones: not chosen
        Map<String, Double> nmf = baseline(400);
        Map<String, Double> other = new LinkedHashMap<>();
        nmf.forEach((u, v) -> other.put(u, Choice.decides("in", u) ? v : v + 0.5));
        Map<String, Map<String, Double>> c = new LinkedHashMap<>();
        c.put("nmf", nmf);
        c.put("forec", other);
        Choice ch = Choice.of("in", c, 0.0);
        assertEquals("nmf", ch.method());
        assertTrue(ch.users() < 300 && ch.users() > 100, ch.users() + " deciding users");
        assertEquals("forec", Choice.of(c, 0.0).method()); // on every user it would be
    }
}
