package io.xmrec.core.serving;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Embeddings for a user the model has never seen, trained with every other parameter fixed
 * ("fold-in"). In FOREC the user tables belong to the frozen trunk, so a user who arrives after
 * the fork has no row; this fits the user's GMF and MLP vectors to their interactions (binary
 * cross-entropy, positives against negatives drawn from the market's items the user never rated,
 * re-drawn every step, full-batch Adam) through the whole network, the market head included.
 * The vectors start from the mean of the model's user rows, the "average user".
 */
public final class UserFoldIn {

    /** Settings: Adam steps, step size, negatives per positive, seed. */
    public record Options(int steps, double learningRate, int negatives, long seed) {
        public Options {
            if (steps < 0 || !(learningRate > 0) || negatives < 1) {
                throw new IllegalArgumentException("fold-in options out of range: " + this);
            }
        }

        public static Options defaults() {
            return new Options(60, 0.05, 4, 42);
        }
    }

    /** A user's vectors: GMF and MLP embeddings (either empty when the model has no such branch). */
    public record Vectors(float[] gmf, float[] mlp) {
    }

    private final ServedModel m;
    private final Options o;
    private final int gd;
    private final int md;
    private final float[] meanGmf;
    private final float[] meanMlp;
    // activations of the MLP layers (index 0 = the concatenated embeddings) and of the head (0 = fused)
    private final double[][] mlpAct;
    private final double[][] headAct;
    private final double[][] mlpDelta;
    private final double[][] headDelta;

    public UserFoldIn(ServedModel model, Options options) {
        this.m = model;
        this.o = options;
        this.gd = model.gmfUser == null ? 0 : model.gmfUser.cols();
        this.md = model.mlpUser == null ? 0 : model.mlpUser.cols();
        this.meanGmf = mean(model.gmfUser);
        this.meanMlp = mean(model.mlpUser);
        int layers = model.mlpUser == null ? 0 : model.mlp.size();
        mlpAct = new double[layers + 1][];
        mlpDelta = new double[layers + 1][];
        mlpAct[0] = new double[2 * md];
        mlpDelta[0] = new double[2 * md];
        for (int l = 1; l <= layers; l++) {
            mlpAct[l] = new double[model.mlp.get(l - 1)[0].cols()];
            mlpDelta[l] = new double[mlpAct[l].length];
        }
        int fused = (md > 0 ? mlpAct[layers].length : 0) + gd;
        headAct = new double[model.head.size() + 1][];
        headDelta = new double[model.head.size() + 1][];
        headAct[0] = new double[fused];
        headDelta[0] = new double[fused];
        for (int k = 1; k <= model.head.size(); k++) {
            headAct[k] = new double[model.head.get(k - 1)[0].cols()];
            headDelta[k] = new double[headAct[k].length];
        }
    }

    private static float[] mean(ServedModel.Tensor t) {
        if (t == null) {
            return new float[0];
        }
        int d = t.cols();
        double[] s = new double[d];
        for (int r = 0; r < t.rows(); r++) {
            for (int k = 0; k < d; k++) {
                s[k] += t.values()[r * d + k];
            }
        }
        float[] out = new float[d];
        for (int k = 0; k < d; k++) {
            out[k] = t.rows() == 0 ? 0 : (float) (s[k] / t.rows());
        }
        return out;
    }

    /** The average user's vectors: where fold-in starts, and what a user with no usable interactions gets. */
    public Vectors averageUser() {
        return new Vectors(meanGmf.clone(), meanMlp.clone());
    }

    /**
     * Fits a new user's vectors to their items.
     *
     * @param positives the user's items (indices into the model's item vocabulary)
     * @param pool      the market's items (indices) negatives are drawn from; the user's own are skipped
     * @param user      the user's id, which seeds the negatives (the same user folds in the same way)
     */
    public Vectors fit(int[] positives, int[] pool, String user) {
        Vectors v = averageUser();
        if (positives.length == 0 || pool.length == 0) {
            return v;
        }
        Set<Integer> own = new HashSet<>();
        for (int i : positives) {
            own.add(i);
        }
        if (own.size() >= pool.length) {
            return v; // nothing to contrast against
        }
        double[] p = toDouble(v.gmf());
        double[] q = toDouble(v.mlp());
        double[] gp = new double[gd];
        double[] gq = new double[md];
        Adam ap = new Adam(gd);
        Adam aq = new Adam(md);
        SplittableRandom rnd = new SplittableRandom(o.seed() ^ user.hashCode() * 0x9E3779B97F4A7C15L);
        int n = positives.length * (1 + o.negatives());
        for (int step = 1; step <= o.steps(); step++) {
            Arrays.fill(gp, 0);
            Arrays.fill(gq, 0);
            for (int pos : positives) {
                accumulate(p, q, pos, 1, gp, gq);
                for (int k = 0; k < o.negatives(); k++) {
                    int neg;
                    do {
                        neg = pool[rnd.nextInt(pool.length)];
                    } while (own.contains(neg));
                    accumulate(p, q, neg, 0, gp, gq);
                }
            }
            ap.step(p, gp, n, step);
            aq.step(q, gq, n, step);
        }
        return new Vectors(toFloat(p), toFloat(q));
    }

    /** Mean binary cross-entropy of a user's vectors on items with labels (for tests and diagnostics). */
    public double loss(Vectors v, int[] items, float[] labels) {
        double[] p = toDouble(v.gmf());
        double[] q = toDouble(v.mlp());
        double s = 0;
        for (int k = 0; k < items.length; k++) {
            double y = forward(p, q, items[k]);
            y = Math.min(Math.max(y, 1e-12), 1 - 1e-12);
            s -= labels[k] * Math.log(y) + (1 - labels[k]) * Math.log(1 - y);
        }
        return s / items.length;
    }

    /** Gradient of the loss of one (item, label) with respect to the user's vectors, added to gp and gq. */
    void accumulate(double[] p, double[] q, int item, float label, double[] gp, double[] gq) {
        double y = forward(p, q, item);
        double dz = y - label;
        int top = headAct.length - 1;
        float[] w = m.outW.values();
        for (int k = 0; k < headAct[top].length; k++) {
            headDelta[top][k] = dz * w[k];
        }
        for (int l = top; l >= 1; l--) {
            backDense(m.head.get(l - 1)[0], headAct[l], headDelta[l], headDelta[l - 1]);
        }
        double[] dFused = headDelta[0];
        int mlpOut = md > 0 ? mlpAct[mlpAct.length - 1].length : 0;
        if (gd > 0) {
            float[] gi = m.gmfItem.values();
            for (int k = 0; k < gd; k++) {
                gp[k] += dFused[mlpOut + k] * gi[item * gd + k];
            }
        }
        if (md > 0) {
            int last = mlpAct.length - 1;
            System.arraycopy(dFused, 0, mlpDelta[last], 0, mlpOut);
            for (int l = last; l >= 1; l--) {
                backDense(m.mlp.get(l - 1)[0], mlpAct[l], mlpDelta[l], mlpDelta[l - 1]);
            }
            for (int k = 0; k < md; k++) {
                gq[k] += mlpDelta[0][k];
            }
        }
    }

    /** Forward pass keeping the activations; returns the predicted probability. */
    double forward(double[] p, double[] q, int item) {
        int n = 0;
        if (md > 0) {
            float[] mi = m.mlpItem.values();
            for (int k = 0; k < md; k++) {
                mlpAct[0][k] = q[k];
                mlpAct[0][md + k] = mi[item * md + k];
            }
            for (int l = 1; l < mlpAct.length; l++) {
                dense(m.mlp.get(l - 1), mlpAct[l - 1], mlpAct[l]);
            }
            double[] out = mlpAct[mlpAct.length - 1];
            System.arraycopy(out, 0, headAct[0], 0, out.length);
            n = out.length;
        }
        if (gd > 0) {
            float[] gi = m.gmfItem.values();
            for (int k = 0; k < gd; k++) {
                headAct[0][n + k] = p[k] * gi[item * gd + k];
            }
        }
        for (int l = 1; l < headAct.length; l++) {
            dense(m.head.get(l - 1), headAct[l - 1], headAct[l]);
        }
        double[] top = headAct[headAct.length - 1];
        double z = m.outB.values()[0];
        float[] w = m.outW.values();
        for (int k = 0; k < top.length; k++) {
            z += top[k] * w[k];
        }
        return 1 / (1 + Math.exp(-z));
    }

    private static void dense(ServedModel.Tensor[] l, double[] in, double[] out) {
        float[] wv = l[0].values();
        float[] bv = l[1].values();
        int cols = out.length;
        for (int c = 0; c < cols; c++) {
            out[c] = bv[c];
        }
        for (int r = 0; r < in.length; r++) {
            double x = in[r];
            if (x != 0) {
                int row = r * cols;
                for (int c = 0; c < cols; c++) {
                    out[c] += x * wv[row + c];
                }
            }
        }
        for (int c = 0; c < cols; c++) {
            if (out[c] < 0) {
                out[c] = 0;
            }
        }
    }

    /** From the gradient at a ReLU layer's output to the gradient at its input. */
    private static void backDense(ServedModel.Tensor w, double[] out, double[] dOut, double[] dIn) {
        float[] wv = w.values();
        int cols = out.length;
        for (int r = 0; r < dIn.length; r++) {
            double s = 0;
            int row = r * cols;
            for (int c = 0; c < cols; c++) {
                if (out[c] > 0) {
                    s += wv[row + c] * dOut[c];
                }
            }
            dIn[r] = s;
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return d;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            f[k] = (float) v[k];
        }
        return f;
    }

    /** Adam on one vector (gradients are sums over {@code n} samples). */
    private final class Adam {
        private final double[] m1;
        private final double[] m2;

        Adam(int d) {
            m1 = new double[d];
            m2 = new double[d];
        }

        void step(double[] x, double[] gradSum, int n, int t) {
            double b1 = 0.9;
            double b2 = 0.999;
            double c1 = 1 - Math.pow(b1, t);
            double c2 = 1 - Math.pow(b2, t);
            for (int k = 0; k < x.length; k++) {
                double g = gradSum[k] / n;
                m1[k] = b1 * m1[k] + (1 - b1) * g;
                m2[k] = b2 * m2[k] + (1 - b2) * g * g;
                x[k] -= o.learningRate() * (m1[k] / c1) / (Math.sqrt(m2[k] / c2) + 1e-8);
            }
        }
    }
}
