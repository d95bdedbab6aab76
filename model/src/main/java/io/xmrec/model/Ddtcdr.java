package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.TrainingSamples;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DDTCDR (Li and Tuzhilin, WSDM 2020) adapted to markets as in the FOREC paper: the roles of users
 * and items swapped, since markets share items and not users. Two MLP recommenders, one for the
 * target market and one for the source, each with its own user and item tables; they are coupled
 * by a latent orthogonal map {@code X} of the item space: the target model sees an item as
 * {@code a*V_t[i] + (1-a)*X V_s[i]}, the source model as {@code a*V_s[i] + (1-a)*X^T V_t[i]}
 * (for an orthogonal X its transpose is its inverse, so one matrix serves both directions). The
 * two are trained together, batches of each market in turn (dual learning), on binary
 * cross-entropy with sampled negatives plus {@code lambda * ||X^T X - I||^2} to keep X orthogonal.
 * Tables start from GMF embeddings trained on each market alone, X from the identity.
 *
 * <p>Plain Java: each side's MLP is the per-sample dense core {@link SampleMlp} that the NMF kernel
 * shares, the item mixing and the orthogonality penalty are differentiated here ({@code DdtcdrTest}
 * checks the whole gradient against finite differences); sparse Adam: embedding rows are updated only when a batch touches them.
 * Scores with the target model.
 */
public final class Ddtcdr implements Scorer {

    /**
     * Hyper-parameters: embedding size, hidden widths of each MLP, mixing weight a, orthogonality weight lambda,
     * and how to train.
     */
    public record Options(int dim, List<Integer> hidden, double alpha, double orthogonality, Training training) {
        public Options {
            hidden = List.copyOf(hidden);
            if (dim < 1 || hidden.isEmpty() || hidden.stream().anyMatch(h -> h < 1) || alpha < 0 || alpha > 1
                    || orthogonality < 0) {
                throw new IllegalArgumentException("DDTCDR options out of range: " + this);
            }
        }

        /** 8-dimensional tables (the GMF size), MLP 16-8, a = 0.5, lambda = 1, Adam 0.001, 10 epochs of 256, 4 negatives. */
        public static Options defaults() {
            return new Options(8, List.of(16, 8), 0.5, 1.0, new Training(0.001, 0.0, 10, 256, 4, 42));
        }

        /** These options with the tables' size and the epochs, batches, negatives and seed of an NCF run. */
        public Options like(NcfOptions n) {
            return new Options(n.gmfDim(), hidden, alpha, orthogonality, new Training(training.learningRate(),
                    training.l2(), n.epochs(), n.batchSize(), n.negatives(), n.seed()));
        }

        public Options withEpochs(int e) {
            return new Options(dim, hidden, alpha, orthogonality, new Training(training.learningRate(), training.l2(), e,
                    training.batchSize(), training.negatives(), training.seed()));
        }

        public Options withOrthogonality(double lambda) {
            return new Options(dim, hidden, alpha, lambda, training);
        }
    }

    /** How DDTCDR trains: Adam's rate, L2, epochs of {@code batchSize} positives with {@code negatives} each, the seed. */
    public record Training(double learningRate, double l2, int epochs, int batchSize, int negatives, long seed) {
        public Training {
            if (learningRate <= 0 || l2 < 0 || epochs < 0 || batchSize < 1 || negatives < 0) {
                throw new IllegalArgumentException("DDTCDR training out of range: " + this);
            }
        }
    }

    /** Progress of one epoch: mean loss of each side, and how far X is from orthogonal. */
    public interface EpochListener {
        void epoch(int epoch, int epochs, double targetLoss, double sourceLoss, double orthogonalityGap, double seconds);
    }

    private final Options o;
    private final int users;
    private final int items;
    private final int d;
    /** Flat parameters and Adam moments; layout: per side (0 target, 1 source) users, items, then per side MLP, then X. */
    final double[] theta;
    private final double[] grad;
    private final FlatAdam adam;
    private final long[] rowStep; // Adam step count per embedding row (sparse Adam)
    private final int[] offU = new int[2];
    private final int[] offV = new int[2];
    /** Each side's MLP on {@link #theta} (the shared per-sample dense core; its scratch is this model's). */
    private final SampleMlp[] mlp = new SampleMlp[2];
    private final int offX;
    private final int denseStart;
    private long denseStep;

    public Ddtcdr(int users, int items, Options o) {
        this.o = o;
        this.users = users;
        this.items = items;
        this.d = o.dim();
        List<Integer> w = new ArrayList<>();
        w.add(2 * d);
        w.addAll(o.hidden());
        w.add(1);
        int[] widths = w.stream().mapToInt(Integer::intValue).toArray();
        int off = 0;
        for (int k = 0; k < 2; k++) {
            offU[k] = off;
            off += users * d;
            offV[k] = off;
            off += items * d;
        }
        denseStart = off;
        int[][] offW = new int[2][widths.length];
        for (int k = 0; k < 2; k++) {
            int[] offB = new int[widths.length];
            off = SampleMlp.layout(widths, off, offW[k], offB);
            mlp[k] = new SampleMlp(widths, offW[k], offB, false);
        }
        offX = off;
        off += d * d;
        theta = new double[off];
        grad = new double[off];
        adam = new FlatAdam(off, o.training().learningRate(), o.training().l2());
        rowStep = new long[2 * 2 * Math.max(users, items)];
        SplittableRandom rnd = new SplittableRandom(o.training().seed());
        for (int i = 0; i < denseStart; i++) {
            theta[i] = rnd.nextGaussian() * 0.01;
        }
        for (int k = 0; k < 2; k++) {
            for (int l = 1; l < widths.length; l++) {
                double scale = Math.sqrt(2.0 / (widths[l - 1] + widths[l]));
                for (int j = 0; j < widths[l - 1] * widths[l]; j++) {
                    theta[offW[k][l] + j] = rnd.nextGaussian() * scale;
                }
            }
        }
        for (int a = 0; a < d; a++) {
            theta[offX + a * d + a] = 1; // start orthogonal
        }
    }

    /**
     * A model on the data set's vocabularies whose tables start from GMF models trained on the
     * target and the source alone (on the same vocabularies, e.g. {@code ds.restrictedTo(List.of(m))}).
     */
    public static Ddtcdr fromGmf(CrossMarketDataset ds, NcfModel targetGmf, NcfModel sourceGmf, Options o) {
        Ddtcdr m = new Ddtcdr(ds.users().size(), ds.items().size(), o);
        NcfModel[] g = {targetGmf, sourceGmf};
        for (int k = 0; k < 2; k++) {
            float[] u = g[k].net().get(io.xmrec.core.net.NetShape.GMF_USER);
            float[] v = g[k].net().get(io.xmrec.core.net.NetShape.GMF_ITEM);
            int gd = g[k].net().shape().gmfDim();
            if (u == null || g[k].net().users() != m.users || g[k].net().items() != m.items || gd != m.d) {
                throw new IllegalArgumentException("GMF embeddings of " + g[k].net().users() + " users, "
                        + g[k].net().items() + " items, dim " + gd + " do not fit DDTCDR tables of " + m.users
                        + " users, " + m.items + " items, dim " + m.d
                        + ": train the GMFs on the same vocabularies with gmf-dim " + m.d);
            }
            copy(u, m.theta, m.offU[k]);
            copy(v, m.theta, m.offV[k]);
        }
        return m;
    }

    private static void copy(float[] a, double[] to, int off) {
        for (int k = 0; k < a.length; k++) {
            to[off + k] = a[k];
        }
    }

    /**
     * Trains both sides on their markets: every epoch fresh negatives for each, batches of the
     * target and the source in turn until both are used up.
     */
    public void train(IndexedMarket target, IndexedMarket source, EpochListener listener) {
        SplittableRandom rnd = new SplittableRandom(o.training().seed() + 1);
        for (int e = 1; e <= o.training().epochs(); e++) {
            long t0 = System.nanoTime();
            TrainingSamples[] s = {TrainingSamples.draw(target, o.training().negatives(), rnd), TrainingSamples.draw(source, o.training().negatives(), rnd)};
            int[] pos = {0, 0};
            double[] loss = {0, 0};
            int[] n = {0, 0};
            while (pos[0] < s[0].size() || pos[1] < s[1].size()) {
                for (int k = 0; k < 2; k++) {
                    if (pos[k] >= s[k].size()) {
                        continue;
                    }
                    int end = Math.min(s[k].size(), pos[k] + o.training().batchSize());
                    int[] u = java.util.Arrays.copyOfRange(s[k].users(), pos[k], end);
                    int[] i = java.util.Arrays.copyOfRange(s[k].items(), pos[k], end);
                    float[] y = java.util.Arrays.copyOfRange(s[k].labels(), pos[k], end);
                    loss[k] += lossAndGradient(k, u, i, y) * u.length;
                    n[k] += u.length;
                    adam(k, u, i);
                    pos[k] = end;
                }
            }
            if (listener != null) {
                listener.epoch(e, o.training().epochs(), loss[0] / Math.max(1, n[0]), loss[1] / Math.max(1, n[1]),
                        orthogonalityGap(), (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    /** {@code ||X^T X - I||_F}: zero for an orthogonal X. */
    public double orthogonalityGap() {
        double sum = 0;
        for (double g : gramMinusIdentity()) {
            sum += g * g;
        }
        return Math.sqrt(sum);
    }

    /** {@code X^T X - I}, row-major. */
    private double[] gramMinusIdentity() {
        double[] g = new double[d * d];
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < d; b++) {
                double v = 0;
                for (int c = 0; c < d; c++) {
                    v += theta[offX + c * d + a] * theta[offX + c * d + b];
                }
                g[a * d + b] = v - (a == b ? 1 : 0);
            }
        }
        return g;
    }

    /**
     * The item as side k sees it, {@code a * own + (1 - a) * transferred} with the transferred part
     * {@code X v_s} (target) or {@code X^T v_t} (source), into {@code r} from {@code at}.
     */
    private void itemRepresentation(int k, int item, double[] r, int at) {
        int vo = offV[k] + item * d;
        int vx = offV[1 - k] + item * d;
        for (int a = 0; a < d; a++) {
            double x = 0;
            for (int b = 0; b < d; b++) {
                x += (k == 0 ? theta[offX + a * d + b] : theta[offX + b * d + a]) * theta[vx + b];
            }
            r[at + a] = o.alpha() * theta[vo + a] + (1 - o.alpha()) * x;
        }
    }

    /**
     * Mean binary cross-entropy of a batch on side {@code k} (0 target, 1 source) plus the
     * orthogonality penalty, with its gradient left in {@code grad} (zeroed first; only the touched
     * rows and the dense part are written).
     */
    double lossAndGradient(int k, int[] u, int[] i, float[] y) {
        clearGradient(u, i);
        double total = 0;
        double inv = 1.0 / u.length;
        double[] dr = new double[d];
        for (int s = 0; s < u.length; s++) {
            int eu = offU[k] + u[s] * d;
            int vo = offV[k] + i[s] * d;
            int vx = offV[1 - k] + i[s] * d;
            SampleMlp net = mlp[k];
            double[] h0 = net.act[0];
            System.arraycopy(theta, eu, h0, 0, d);
            itemRepresentation(k, i[s], h0, d);
            double z = net.forward(theta)[0];
            double p = 1 / (1 + Math.exp(-z));
            double label = y[s];
            total += -(label * logSafe(p) + (1 - label) * logSafe(1 - p));
            net.delta[net.top()][0] = (p - label) * inv;
            net.backward(theta, grad, 0);
            double[] dIn = net.delta[0];
            for (int a = 0; a < d; a++) {
                grad[eu + a] += dIn[a];
                dr[a] = dIn[d + a];
                grad[vo + a] += o.alpha() * dr[a];
            }
            for (int a = 0; a < d; a++) {
                double dt = (1 - o.alpha()) * dr[a];
                for (int b = 0; b < d; b++) {
                    if (k == 0) { // t = X v_s: dX[a][b] += dt[a] v_s[b]; dv_s[b] += X[a][b] dt[a]
                        grad[offX + a * d + b] += dt * theta[vx + b];
                        grad[vx + b] += theta[offX + a * d + b] * dt;
                    } else { // t = X^T v_t: t[a] = sum_b X[b][a] v_t[b]
                        grad[offX + b * d + a] += dt * theta[vx + b];
                        grad[vx + b] += theta[offX + b * d + a] * dt;
                    }
                }
            }
        }
        double mean = total * inv;
        if (o.orthogonality() > 0) {
            // lambda * ||X^T X - I||^2, gradient 4 lambda X (X^T X - I)
            double[] g = gramMinusIdentity();
            double pen = 0;
            for (double v : g) {
                pen += v * v;
            }
            mean += o.orthogonality() * pen;
            for (int c = 0; c < d; c++) {
                for (int b = 0; b < d; b++) {
                    double v = 0;
                    for (int a = 0; a < d; a++) {
                        v += theta[offX + c * d + a] * g[a * d + b];
                    }
                    grad[offX + c * d + b] += 4 * o.orthogonality() * v;
                }
            }
        }
        return mean;
    }

    private static double logSafe(double p) {
        return Math.log(Math.max(p, 1e-12));
    }

    private void clearGradient(int[] u, int[] i) {
        for (int k = 0; k < 2; k++) {
            for (int x : u) {
                java.util.Arrays.fill(grad, offU[k] + x * d, offU[k] + x * d + d, 0);
            }
            for (int x : i) {
                java.util.Arrays.fill(grad, offV[k] + x * d, offV[k] + x * d + d, 0);
            }
        }
        java.util.Arrays.fill(grad, denseStart, grad.length, 0);
    }

    /** One Adam step on what the last batch of side k touched: its users' rows, both sides' item rows, and the dense part. */
    private void adam(int k, int[] u, int[] i) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int x : u) {
            if (seen.add(rowKey(0, k, x))) {
                adamRow(rowKey(0, k, x), offU[k] + x * d);
            }
        }
        for (int x : i) {
            for (int side = 0; side < 2; side++) {
                if (seen.add(rowKey(1, side, x))) {
                    adamRow(rowKey(1, side, x), offV[side] + x * d);
                }
            }
        }
        denseStep++;
        adam.update(theta, denseStart, grad, denseStart, theta.length - denseStart, 1, denseStep);
    }

    private int rowKey(int table, int side, int row) {
        return ((table * 2 + side) * Math.max(users, items)) + row;
    }

    private void adamRow(int key, int off) {
        adam.update(theta, off, grad, off, d, 1, ++rowStep[key]);
    }

    /** Scores with the target market's model. */
    @Override
    public float[] score(int[] u, int[] i) {
        float[] out = new float[u.length];
        for (int s = 0; s < u.length; s++) {
            out[s] = (float) logit(0, u[s], i[s]);
        }
        return out;
    }

    /** The pre-sigmoid score of side k (ranking by it equals ranking by the probability). */
    double logit(int k, int u, int i) {
        double[][] a = mlp[k].newActivations(); // scoring may run on several threads: scratch of its own
        System.arraycopy(theta, offU[k] + u * d, a[0], 0, d);
        itemRepresentation(k, i, a[0], d);
        return mlp[k].forward(theta, a)[0];
    }

    /** The gradient of the last {@link #lossAndGradient} call (for tests). */
    double[] gradient() {
        return grad;
    }
}
