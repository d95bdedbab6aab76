package io.xmrec.core.data.synth;

import java.util.Arrays;
import java.util.SplittableRandom;

/** The random draws the generator makes: from cumulative shares, a Gaussian, a Gamma, a fixed discrete distribution. */
final class Draws {

    private Draws() {
    }

    /** The running sums of non-negative shares, normalised to end at 1. */
    static double[] cumulative(double[] shares) {
        double[] c = new double[shares.length];
        double s = 0;
        for (int i = 0; i < shares.length; i++) {
            s += Math.max(0, shares[i]);
            c[i] = s;
        }
        for (int i = 0; i < c.length; i++) {
            c[i] /= s == 0 ? 1 : s;
        }
        return c;
    }

    /** The index whose cumulative share first reaches {@code u}. */
    static int pick(double[] cum, double u) {
        int i = Arrays.binarySearch(cum, u);
        i = i < 0 ? -i - 1 : i;
        return Math.min(cum.length - 1, i);
    }

    /** A standard normal draw (Box-Muller). */
    static double gaussian(SplittableRandom rnd) {
        double u;
        do {
            u = rnd.nextDouble();
        } while (u == 0);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** Gamma(shape, 1) by Marsaglia and Tsang, boosted for shape below 1. */
    static double gamma(SplittableRandom rnd, double shape) {
        if (shape < 1) {
            double u;
            do {
                u = rnd.nextDouble();
            } while (u == 0);
            return gamma(rnd, shape + 1) * Math.pow(u, 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = gaussian(rnd);
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rnd.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }

    /** Walker's alias method: O(1) draws from a fixed discrete distribution. */
    record Alias(int[] values, double[] prob, int[] alias) {

        static Alias of(int[] values, double[] weights) {
            int n = values.length;
            double total = 0;
            for (int v : values) {
                total += weights[v];
            }
            double[] scaled = new double[n];
            for (int i = 0; i < n; i++) {
                scaled[i] = weights[values[i]] * n / total;
            }
            double[] prob = new double[n];
            int[] alias = new int[n];
            int[] small = new int[n];
            int[] large = new int[n];
            int ns = 0, nl = 0;
            for (int i = 0; i < n; i++) {
                if (scaled[i] < 1) {
                    small[ns++] = i;
                } else {
                    large[nl++] = i;
                }
            }
            while (ns > 0 && nl > 0) {
                int s = small[--ns];
                int l = large[--nl];
                prob[s] = scaled[s];
                alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                if (scaled[l] < 1) {
                    small[ns++] = l;
                } else {
                    large[nl++] = l;
                }
            }
            while (nl > 0) {
                prob[large[--nl]] = 1;
            }
            while (ns > 0) {
                prob[small[--ns]] = 1;
            }
            return new Alias(values, prob, alias);
        }

        int draw(SplittableRandom rnd) {
            int i = rnd.nextInt(values.length);
            return values[rnd.nextDouble() < prob[i] ? i : alias[i]];
        }
    }
}
