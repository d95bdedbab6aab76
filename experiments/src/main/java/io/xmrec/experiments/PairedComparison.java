package io.xmrec.experiments;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.inference.TTest;

import java.util.Map;
import java.util.TreeMap;

/**
 * A paired comparison of two runs on the same users: mean difference (b - a) of a per-user
 * metric, its 95% confidence interval, and two-sided p-values of the paired t-test and the
 * Wilcoxon signed-rank test (zero differences dropped; see {@link WilcoxonSignedRank}).
 */
public record PairedComparison(int users, double meanA, double meanB, double meanDiff, double ciLow, double ciHigh,
                               double tTestP, double wilcoxonP) {

    /** Pairs the users present in both maps (user id to metric value) and compares them. */
    public static PairedComparison of(Map<String, Double> a, Map<String, Double> b) {
        TreeMap<String, Double> common = new TreeMap<>(a);
        common.keySet().retainAll(b.keySet());
        int n = common.size();
        if (n < 2) {
            throw new IllegalArgumentException("need at least 2 users in common to compare, found " + n);
        }
        double[] x = new double[n];
        double[] y = new double[n];
        int k = 0;
        for (String u : common.keySet()) {
            x[k] = a.get(u);
            y[k] = b.get(u);
            k++;
        }
        return of(x, y);
    }

    public static PairedComparison of(double[] a, double[] b) {
        int n = a.length;
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double md = mb - ma;
        double ss = 0;
        boolean allEqual = true;
        for (int i = 0; i < n; i++) {
            double d = b[i] - a[i] - md;
            ss += d * d;
            allEqual &= a[i] == b[i];
        }
        double se = Math.sqrt(ss / (n - 1) / n);
        double t = new TDistribution(n - 1).inverseCumulativeProbability(0.975);
        double tp;
        double wp;
        if (allEqual) {
            tp = 1.0;
            wp = 1.0;
        } else if (se == 0) {
            tp = 0.0; // every user moved by the same non-zero amount
            wp = WilcoxonSignedRank.pValue(a, b);
        } else {
            tp = new TTest().pairedTTest(b, a);
            wp = WilcoxonSignedRank.pValue(a, b);
        }
        return new PairedComparison(n, ma, mb, md, md - t * se, md + t * se, tp, wp);
    }

    /** 95% confidence half-width of a mean, from the t distribution. */
    public static double ci95HalfWidth(double[] values) {
        int n = values.length;
        if (n < 2) {
            return Double.NaN;
        }
        double m = 0;
        for (double v : values) {
            m += v;
        }
        m /= n;
        double ss = 0;
        for (double v : values) {
            ss += (v - m) * (v - m);
        }
        return new TDistribution(n - 1).inverseCumulativeProbability(0.975) * Math.sqrt(ss / (n - 1) / n);
    }
}
