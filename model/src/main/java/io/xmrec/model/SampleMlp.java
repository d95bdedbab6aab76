package io.xmrec.model;

/**
 * The dense layers of an MLP for one sample in double precision, on a flat parameter vector: the
 * forward and backward pass that the per-sample kernels share ({@link NmfKernel}, which MAML
 * differentiates, and {@link Ddtcdr}'s two market models). Layer {@code l >= 1} has weights
 * {@code [in][out]} row-major from {@code offW[l]} and a bias from {@code offB[l]}; hidden layers
 * are ReLU, the top one too unless it is a linear output. Layer 0 is the input the caller puts in
 * {@code act[0]}. The float batch kernel ({@link io.xmrec.core.net.NetKernel}) is the other
 * backward core, for everything trained in float.
 */
final class SampleMlp {

    private final int[] widths;
    private final int[] offW;
    private final int[] offB;
    private final boolean reluTop;
    /** Activations of each layer for the last forward pass, {@code act[0]} the input. */
    final double[][] act;
    /** Gradients of the loss by each layer's output (after its ReLU). */
    final double[][] delta;

    /**
     * @param widths layer widths, {@code widths[0]} the input
     * @param offW where each layer's weights start in the parameter vector ({@code [0]} unused)
     * @param offB where each layer's bias starts ({@code [0]} unused)
     * @param reluTop whether the top layer has a ReLU (false: a linear output)
     */
    SampleMlp(int[] widths, int[] offW, int[] offB, boolean reluTop) {
        this.widths = widths.clone();
        this.offW = offW.clone();
        this.offB = offB.clone();
        this.reluTop = reluTop;
        this.act = newActivations();
        this.delta = newActivations();
    }

    /** Lays out the dense layers of {@code widths} from {@code off}; returns where they end. */
    static int layout(int[] widths, int off, int[] offW, int[] offB) {
        for (int l = 1; l < widths.length; l++) {
            offW[l] = off;
            off += widths[l - 1] * widths[l];
            offB[l] = off;
            off += widths[l];
        }
        return off;
    }

    /** One array per layer, as wide as the layer. */
    double[][] newActivations() {
        double[][] a = new double[widths.length][];
        for (int l = 0; l < widths.length; l++) {
            a[l] = new double[widths[l]];
        }
        return a;
    }

    int top() {
        return widths.length - 1;
    }

    /** The forward pass from {@code a[0]} with parameters {@code p}, into {@code a[1..top]}; returns the top layer. */
    double[] forward(double[] p, double[][] a) {
        int top = top();
        for (int l = 1; l <= top; l++) {
            int in = widths[l - 1];
            int out = widths[l];
            double[] aIn = a[l - 1];
            double[] aOut = a[l];
            System.arraycopy(p, offB[l], aOut, 0, out);
            int w = offW[l];
            for (int r = 0; r < in; r++) {
                double x = aIn[r];
                if (x != 0) {
                    int row = w + r * out;
                    for (int o = 0; o < out; o++) {
                        aOut[o] += x * p[row + o];
                    }
                }
            }
            if (l < top || reluTop) {
                for (int o = 0; o < out; o++) {
                    if (aOut[o] < 0) {
                        aOut[o] = 0;
                    }
                }
            }
        }
        return a[top];
    }

    /** {@link #forward(double[], double[][])} into this instance's {@link #act}. */
    double[] forward(double[] p) {
        return forward(p, act);
    }

    /**
     * The backward pass of the last {@link #forward(double[])}: from {@code delta[top]}, the
     * gradient of the loss by the top layer's output, adds the gradient of every weight and bias to
     * {@code g} (parameter {@code k} at {@code g[k - shift]}, for a gradient that holds only the dense
     * part) and leaves the gradient by the input in {@code delta[0]}.
     */
    void backward(double[] p, double[] g, int shift) {
        int top = top();
        if (reluTop) {
            mask(delta[top], act[top]);
        }
        for (int l = top; l >= 1; l--) {
            int in = widths[l - 1];
            int out = widths[l];
            double[] dOut = delta[l];
            double[] aIn = act[l - 1];
            double[] dIn = delta[l - 1];
            int w = offW[l];
            int gw = w - shift;
            int gb = offB[l] - shift;
            for (int o = 0; o < out; o++) {
                g[gb + o] += dOut[o];
            }
            for (int r = 0; r < in; r++) {
                double x = aIn[r];
                double acc = 0;
                int row = w + r * out;
                int grow = gw + r * out;
                for (int o = 0; o < out; o++) {
                    g[grow + o] += x * dOut[o];
                    acc += p[row + o] * dOut[o];
                }
                // below a hidden layer through its ReLU; the input (layer 0) has none
                dIn[r] = (l - 1 == 0 || x > 0) ? acc : 0;
            }
        }
    }

    private static void mask(double[] d, double[] a) {
        for (int k = 0; k < d.length; k++) {
            if (a[k] <= 0) {
                d[k] = 0;
            }
        }
    }
}
