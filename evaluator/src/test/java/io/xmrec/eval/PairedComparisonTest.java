package io.xmrec.eval;

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
        assertTrue(c.wilcoxonP() > 0 && c.wilcoxonP() <= 0.1, "all 5 differences positive: exact p = 0.0625");
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
