package io.xmrec.core.net;

/**
 * The dense layers' loops of {@link NetKernel} over a batch held column-major (one {@code float[]} per unit,
 * the batch along it): forward with ReLU, the gradients of the inputs and of the weights, and the
 * reductions they use. Inner loops run over the batch with unit stride in groups of four independent
 * sums, which the JIT vectorises; a group of four zero weights is skipped (the off-diagonal blocks of a
 * mean of two networks are zeros: it then costs twice one network's layers, not four times).
 */
final class DenseOps {

    private DenseOps() {
    }

    /** Marks inputs without ReLU (the concatenated embedding vectors). */
    static final boolean[] NO_RELU = new boolean[0];

    /** z[o][k] = relu(b[o] + sum_q w[q * out + o] x[q][k]). */
    static void dense(float[][] x, int in, float[] w, float[] b, float[][] z, int out, int n) {
        for (int o = 0; o < out; o++) {
            float[] zo = z[o];
            java.util.Arrays.fill(zo, 0, n, b[o]);
            int q = 0;
            for (; q + 3 < in; q += 4) {
                float w0 = w[q * out + o];
                float w1 = w[(q + 1) * out + o];
                float w2 = w[(q + 2) * out + o];
                float w3 = w[(q + 3) * out + o];
                if (w0 == 0f && w1 == 0f && w2 == 0f && w3 == 0f) {
                    continue; // a block of zeros (two networks side by side, ModelMean) adds nothing
                }
                float[] x0 = x[q];
                float[] x1 = x[q + 1];
                float[] x2 = x[q + 2];
                float[] x3 = x[q + 3];
                for (int k = 0; k < n; k++) {
                    zo[k] += w0 * x0[k] + w1 * x1[k] + w2 * x2[k] + w3 * x3[k];
                }
            }
            for (; q < in; q++) {
                float w0 = w[q * out + o];
                float[] x0 = x[q];
                for (int k = 0; k < n; k++) {
                    zo[k] += w0 * x0[k];
                }
            }
            for (int k = 0; k < n; k++) {
                zo[k] = Math.max(zo[k], 0f);
            }
        }
    }

    /**
     * dx[q][k] = sum_o w[q * out + o] d[o][k], zeroed where the input went through a ReLU and was not
     * positive ({@code relu == null}: every input did; {@code NO_RELU}: none; else per input).
     */
    static void denseInputGradient(float[][] d, int out, float[] w, float[][] dx, float[][] x, int in, int n,
                                           boolean[] relu) {
        for (int q = 0; q < in; q++) {
            float[] dq = dx[q];
            java.util.Arrays.fill(dq, 0, n, 0f);
            int row = q * out;
            int o = 0;
            for (; o + 3 < out; o += 4) {
                float w0 = w[row + o];
                float w1 = w[row + o + 1];
                float w2 = w[row + o + 2];
                float w3 = w[row + o + 3];
                if (w0 == 0f && w1 == 0f && w2 == 0f && w3 == 0f) {
                    continue;
                }
                float[] d0 = d[o];
                float[] d1 = d[o + 1];
                float[] d2 = d[o + 2];
                float[] d3 = d[o + 3];
                for (int k = 0; k < n; k++) {
                    dq[k] += w0 * d0[k] + w1 * d1[k] + w2 * d2[k] + w3 * d3[k];
                }
            }
            for (; o < out; o++) {
                float w0 = w[row + o];
                float[] d0 = d[o];
                for (int k = 0; k < n; k++) {
                    dq[k] += w0 * d0[k];
                }
            }
            boolean masked = relu == null || (relu.length > 0 && relu[q]);
            if (masked) {
                float[] xq = x[q];
                for (int k = 0; k < n; k++) {
                    if (xq[k] <= 0) {
                        dq[k] = 0f;
                    }
                }
            }
        }
    }

    /** gw[q * out + o] += sum_k x[q][k] d[o][k], in 4 x 4 tiles of independent sums. */
    static void denseWeightGradient(float[][] x, int in, float[][] d, int out, int n, float[] gw) {
        int q = 0;
        for (; q + 3 < in; q += 4) {
            float[] x0 = x[q];
            float[] x1 = x[q + 1];
            float[] x2 = x[q + 2];
            float[] x3 = x[q + 3];
            int o = 0;
            for (; o + 3 < out; o += 4) {
                float[] d0 = d[o];
                float[] d1 = d[o + 1];
                float[] d2 = d[o + 2];
                float[] d3 = d[o + 3];
                float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
                float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
                for (int k = 0; k < n; k++) {
                    float a0 = x0[k];
                    float a1 = x1[k];
                    float a2 = x2[k];
                    float a3 = x3[k];
                    float b0 = d0[k];
                    float b1 = d1[k];
                    float b2 = d2[k];
                    float b3 = d3[k];
                    c00 += a0 * b0;
                    c01 += a0 * b1;
                    c02 += a0 * b2;
                    c03 += a0 * b3;
                    c10 += a1 * b0;
                    c11 += a1 * b1;
                    c12 += a1 * b2;
                    c13 += a1 * b3;
                    c20 += a2 * b0;
                    c21 += a2 * b1;
                    c22 += a2 * b2;
                    c23 += a2 * b3;
                    c30 += a3 * b0;
                    c31 += a3 * b1;
                    c32 += a3 * b2;
                    c33 += a3 * b3;
                }
                int r0 = q * out + o;
                int r1 = r0 + out;
                int r2 = r1 + out;
                int r3 = r2 + out;
                gw[r0] += c00;
                gw[r0 + 1] += c01;
                gw[r0 + 2] += c02;
                gw[r0 + 3] += c03;
                gw[r1] += c10;
                gw[r1 + 1] += c11;
                gw[r1 + 2] += c12;
                gw[r1 + 3] += c13;
                gw[r2] += c20;
                gw[r2 + 1] += c21;
                gw[r2 + 2] += c22;
                gw[r2 + 3] += c23;
                gw[r3] += c30;
                gw[r3 + 1] += c31;
                gw[r3 + 2] += c32;
                gw[r3 + 3] += c33;
            }
            for (; o < out; o++) {
                gw[q * out + o] += dot(x0, d[o], n);
                gw[(q + 1) * out + o] += dot(x1, d[o], n);
                gw[(q + 2) * out + o] += dot(x2, d[o], n);
                gw[(q + 3) * out + o] += dot(x3, d[o], n);
            }
        }
        for (; q < in; q++) {
            for (int o = 0; o < out; o++) {
                gw[q * out + o] += dot(x[q], d[o], n);
            }
        }
    }

    static float dot(float[] a, float[] b, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        for (; k < n; k++) {
            s0 += a[k] * b[k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static float sum(float[] a, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += a[k];
            s1 += a[k + 1];
            s2 += a[k + 2];
            s3 += a[k + 3];
        }
        for (; k < n; k++) {
            s0 += a[k];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
