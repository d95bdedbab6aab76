package io.xmrec.experiments;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairedComparisonTest {

    @Test
    void handComputedPairedStatistics() {
        double[] a = {0.1, 0.2, 0.3, 0.4, 0.5};
        double[] b = {0.2, 0.25, 0.5, 0.45, 0.7};
        PairedComparison c = PairedComparison.of(a, b);
        // differences 0.1 0.05 0.2 0.05 0.2: mean 0.12, sd 0.075829, se 0.033912, t(4, .975) = 2.776445
        assertEquals(0.12, c.meanDiff(), 1e-12);
        assertEquals(0.12 - 2.776445 * 0.0339116, c.ciLow(), 1e-5);
        assertEquals(0.12 + 2.776445 * 0.0339116, c.ciHigh(), 1e-5);
        // t = 3.5386, df 4 -> two-sided p = 0.02408
        assertEquals(0.02408, c.tTestP(), 2e-4);
        assertEquals(0.0625, c.wilcoxonP(), 1e-12, "all 5 differences positive: exact two-sided p = 2/32");
    }

    @Test
    void wilcoxonDropsZeroDifferencesInsteadOfCountingThemAsEvidence() {
        // 1000 users equal in both runs, 10 better by 0.1 and 8 worse by 0.1: no evidence of a difference
        int n = 1018;
        double[] a = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < 10; i++) {
            b[i] = 0.1;
        }
        for (int i = 10; i < 18; i++) {
            a[i] = 0.1;
        }
        double p = WilcoxonSignedRank.pValue(a, b);
        // 18 non-zero, all tied: W+ = 10 * 9.5 = 95 of 171, exact two-sided p = P(|W+ - 85.5| >= 9.5) = 0.8145
        assertEquals(0.8145, p, 1e-3);
        assertTrue(PairedComparison.of(a, b).tTestP() > 0.5);
    }

    @Test
    void wilcoxonNormalApproximationAgreesWithTheExactTestNearItsSwitchOver() {
        java.util.Random rnd = new java.util.Random(3);
        double[] a = new double[50];
        double[] b = new double[50];
        for (int i = 0; i < 50; i++) {
            a[i] = rnd.nextDouble();
            b[i] = a[i] + rnd.nextGaussian() * 0.1 + 0.03;
        }
        double exact = WilcoxonSignedRank.pValue(a, b, 50);
        double approx = WilcoxonSignedRank.pValue(a, b, 0);
        assertTrue(exact > 0.001 && exact < 0.5, "a real but modest shift: p = " + exact);
        assertEquals(exact, approx, 0.1 * exact);
        assertEquals(1.0, WilcoxonSignedRank.pValue(a, a.clone()));
    }

    @Test
    void identicalRunsAreNotDifferent() {
        double[] a = {0.1, 0.0, 1.0, 0.5};
        PairedComparison c = PairedComparison.of(a, a.clone());
        assertEquals(0.0, c.meanDiff());
        assertEquals(1.0, c.tTestP());
    }

    @Test
    void pairsByUserAndNeedsCommonUsers() {
        PairedComparison c = PairedComparison.of(Map.of("u1", 0.0, "u2", 1.0, "u3", 0.5),
                Map.of("u2", 1.0, "u3", 1.0, "u9", 0.0));
        assertEquals(2, c.users());
        assertEquals(0.25, c.meanDiff(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.of(Map.of("a", 1.0), Map.of("a", 1.0)));
    }
}
