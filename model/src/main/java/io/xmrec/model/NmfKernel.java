package io.xmrec.model;

import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.core.net.TouchedRows;

import java.util.ArrayList;
import java.util.List;

/**
 * The NMF network written out per sample in double precision on a flat {@code double[]} of
 * parameters: mean binary cross-entropy of a batch and its gradient, touching only the embedding
 * rows of the batch. MAML needs many gradients of 20-sample batches and differentiates through an
 * SGD step by finite differences of gradients, which wants double precision; the float batch
 * kernel ({@link io.xmrec.core.net.NetKernel}) trains everything else. {@code NmfKernelTest}
 * checks it against DL4J's gradient and against the float kernel.
 *
 * <p>Layout: GMF user, GMF item, MLP user, MLP item tables (row-major, one row per index), then
 * per MLP layer its weights {@code [in][out]} row-major and bias, then the output weights and bias,
 * then the item biases when the network has them. Everything from the first MLP layer to the output
 * is "dense" (small, always touched).
 */
final class NmfKernel {

    /** A batch of training samples as primitive arrays. */
    record Batch(int[] users, int[] items, float[] labels) {
        int size() {
            return labels.length;
        }
    }

    final int users;
    final int items;
    final int gd;
    final int md;
    private final int[] widths;
    final int offGu;
    final int offGi;
    final int offMu;
    final int offMi;
    private final int[] offW;
    private final int[] offB;
    private final int offOutW;
    private final int offOutB;
    final int offIb; // -1 without item biases
    final int size;
    /** The MLP branch: activations of every layer and their gradients, per sample. */
    private final SampleMlp mlp;
    private final double[] fuse;

    NmfKernel(int users, int items, NcfOptions o) {
        this(users, items, o.gmfDim(), o.mlpDim(), o.mlpLayers(), o.itemBias());
    }

    NmfKernel(int users, int items, int gmfDim, int mlpDim, List<Integer> layers, boolean itemBias) {
        this.users = users;
        this.items = items;
        this.gd = gmfDim;
        this.md = mlpDim;
        this.widths = layers.stream().mapToInt(Integer::intValue).toArray();
        int off = 0;
        offGu = off;
        off += users * gd;
        offGi = off;
        off += items * gd;
        offMu = off;
        off += users * md;
        offMi = off;
        off += items * md;
        offW = new int[widths.length];
        offB = new int[widths.length];
        off = SampleMlp.layout(widths, off, offW, offB);
        offOutW = off;
        off += last() + gd;
        offOutB = off;
        off += 1;
        offIb = itemBias ? off : -1;
        off += itemBias ? items : 0;
        size = off;
        mlp = new SampleMlp(widths, offW, offB, true);
        fuse = new double[last() + gd];
    }

    /** The kernel of an NMF model's shapes. */
    static NmfKernel of(NcfModel m) {
        if (m.architecture() != NcfArchitecture.NMF) {
            throw new IllegalArgumentException("MAML and the NMF kernel need an NMF model, got " + m.architecture().label());
        }
        NetShape s = m.net().shape();
        return new NmfKernel(m.users().size(), m.items().size(), s.gmfDim(), s.mlpDim(), s.mlpLayers(), s.itemBias());
    }

    private int last() {
        return widths[widths.length - 1];
    }

    int size() {
        return size;
    }

    /** Index of the first parameter after the embedding tables. */
    int denseFrom() {
        return offW[1];
    }

    /** One past the last dense parameter (the item biases, when there are any, follow). */
    int denseTo() {
        return offOutB + 1;
    }

    int users() {
        return users;
    }

    int items() {
        return items;
    }

    private record Param(String name, int offset, int rows, int cols) {
    }

    private List<Param> params() {
        List<Param> p = new ArrayList<>();
        p.add(new Param(NetShape.GMF_USER, offGu, users, gd));
        p.add(new Param(NetShape.GMF_ITEM, offGi, items, gd));
        p.add(new Param(NetShape.MLP_USER, offMu, users, md));
        p.add(new Param(NetShape.MLP_ITEM, offMi, items, md));
        for (int l = 1; l < widths.length; l++) {
            p.add(new Param(NetShape.mlpWeight(l), offW[l], widths[l - 1], widths[l]));
            p.add(new Param(NetShape.mlpBias(l), offB[l], 1, widths[l]));
        }
        p.add(new Param(NetShape.OUT_W, offOutW, last() + gd, 1));
        p.add(new Param(NetShape.OUT_B, offOutB, 1, 1));
        if (offIb >= 0) {
            p.add(new Param(NetShape.ITEM_BIAS, offIb, items, 1));
        }
        return p;
    }

    /** The net's parameters in this layout. */
    double[] read(Net net) {
        return layout(name -> {
            float[] a = net.get(name);
            if (a == null) {
                return null;
            }
            double[] d = new double[a.length];
            for (int k = 0; k < a.length; k++) {
                d[k] = a[k];
            }
            return d;
        });
    }

    /** Tensors by name (row-major, e.g. a reference gradient in double) laid out as this kernel's vector. */
    double[] layout(java.util.function.Function<String, double[]> tensor) {
        double[] out = new double[size];
        for (Param p : params()) {
            double[] a = tensor.apply(p.name());
            if (a == null || a.length != p.rows() * p.cols()) {
                throw new IllegalArgumentException("parameter " + p.name() + " has " + (a == null ? "no" : a.length)
                        + " values, expected [" + p.rows() + ", " + p.cols() + "]");
            }
            System.arraycopy(a, 0, out, p.offset(), a.length);
        }
        return out;
    }

    /** Writes parameters in this layout into a net of the same shape (in float). */
    void write(double[] theta, Net net) {
        for (Param p : params()) {
            float[] a = net.get(p.name());
            for (int k = 0; k < a.length; k++) {
                a[k] = (float) theta[p.offset() + k];
            }
        }
    }

    /** Mean binary cross-entropy of the batch at parameters {@code p}. */
    double loss(double[] p, Batch b) {
        double sum = 0;
        for (int s = 0; s < b.size(); s++) {
            sum += bce(forward(p, b.users()[s], b.items()[s]), b.labels()[s]);
        }
        return sum / b.size();
    }

    /** Adds the gradient of the batch's mean BCE at {@code p} to {@code g}; returns the loss. */
    double lossAndGradient(double[] p, Batch b, NmfGradient g) {
        int n = b.size();
        double sum = 0;
        int dFrom = denseFrom();
        int cOutW = offOutW - dFrom;
        int cOutB = offOutB - dFrom;
        for (int s = 0; s < n; s++) {
            int u = b.users()[s];
            int i = b.items()[s];
            double prob = forward(p, u, i);
            g.touch(u, i);
            double[] d = g.values; // after the touch, which may grow it
            int ub = g.userBlock[u];
            int ib = g.itemBlock[i];
            double y = b.labels()[s];
            sum += bce(prob, y);
            double dz = (prob - y) / n;
            if (offIb >= 0) {
                d[ib + gd + md] += dz;
            }
            int fw = fuse.length;
            for (int k = 0; k < fw; k++) {
                d[cOutW + k] += fuse[k] * dz;
            }
            d[cOutB] += dz;
            double[] dTop = mlp.delta[mlp.top()];
            for (int k = 0; k < dTop.length; k++) {
                dTop[k] = dz * p[offOutW + k];
            }
            // GMF branch: fuse[last + k] = gu[k] * gi[k]
            int gu = offGu + u * gd;
            int gi = offGi + i * gd;
            for (int k = 0; k < gd; k++) {
                double dg = dz * p[offOutW + last() + k];
                d[ub + k] += dg * p[gi + k];
                d[ib + k] += dg * p[gu + k];
            }
            mlp.backward(p, d, dFrom);
            double[] dIn = mlp.delta[0];
            for (int k = 0; k < md; k++) {
                d[ub + gd + k] += dIn[k];
                d[ib + gd + k] += dIn[md + k];
            }
        }
        return sum / n;
    }

    /** Forward pass of one (user, item): fills the activations and {@link #fuse}; returns the probability. */
    private double forward(double[] p, int u, int i) {
        if (u < 0 || u >= users || i < 0 || i >= items) {
            throw new IllegalArgumentException("user " + u + " or item " + i + " outside the model's vocabularies ("
                    + users + " users, " + items + " items)");
        }
        double[] a0 = mlp.act[0];
        System.arraycopy(p, offMu + u * md, a0, 0, md);
        System.arraycopy(p, offMi + i * md, a0, md, md);
        int top = last();
        System.arraycopy(mlp.forward(p), 0, fuse, 0, top);
        int gu = offGu + u * gd;
        int gi = offGi + i * gd;
        for (int k = 0; k < gd; k++) {
            fuse[top + k] = p[gu + k] * p[gi + k];
        }
        double z = p[offOutB] + (offIb >= 0 ? p[offIb + i] : 0);
        for (int k = 0; k < fuse.length; k++) {
            z += fuse[k] * p[offOutW + k];
        }
        return 1 / (1 + Math.exp(-z));
    }

    /** BCE as DL4J computes it: the probability clipped to [1e-5, 1 - 1e-5]. */
    private static double bce(double prob, double y) {
        double c = Math.min(1 - 1e-5, Math.max(1e-5, prob));
        return -(y * Math.log(c) + (1 - y) * Math.log(1 - c));
    }

    NmfGradient newGradient() {
        return new NmfGradient(this);
    }
}
