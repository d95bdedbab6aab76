package io.xmrec.model;

/**
 * Adam in double precision on a flat parameter vector, L2 added to the gradient (PyTorch's
 * {@code weight_decay}): {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
 * {@code w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)}. The one optimiser of the
 * hand-written double kernels: MAML's meta-steps on {@link NmfKernel} and DDTCDR, which updates
 * runs of parameters (a touched row, the dense part) each at its own step count {@code t}. The float
 * batch kernel's optimiser is {@link io.xmrec.core.net.Adam}, which follows DL4J's placement of
 * epsilon to take the same steps as the DL4J engine.
 */
final class FlatAdam {

    private static final double B1 = 0.9;
    private static final double B2 = 0.999;
    // 1 - B1 and 1 - B2 as written, not as computed (1 - 0.9 is 0.09999999999999998 in double)
    private static final double G1 = 0.1;
    private static final double G2 = 0.001;
    private static final double EPS = 1e-8;

    private final double lr;
    private final double l2;
    private final double[] m;
    private final double[] v;
    /** The bias corrections of the last step count asked for (MAML updates many runs at one count). */
    private long correctedStep = -1;
    private double c1;
    private double c2;

    FlatAdam(int size, double lr, double l2) {
        this.lr = lr;
        this.l2 = l2;
        this.m = new double[size];
        this.v = new double[size];
    }

    /**
     * Updates {@code theta[from .. from + length)} with the gradient {@code scale * grad[at .. at + length)} at
     * step {@code t} (1 for the first).
     */
    void update(double[] theta, int from, double[] grad, int at, int length, double scale, long t) {
        if (t != correctedStep) {
            c1 = 1 - Math.pow(B1, t);
            c2 = 1 - Math.pow(B2, t);
            correctedStep = t;
        }
        for (int j = 0; j < length; j++) {
            int k = from + j;
            double g = scale * grad[at + j] + l2 * theta[k];
            m[k] = B1 * m[k] + G1 * g;
            v[k] = B2 * v[k] + G2 * g * g;
            theta[k] -= lr * (m[k] / c1) / (Math.sqrt(v[k] / c2) + EPS);
        }
    }
}
