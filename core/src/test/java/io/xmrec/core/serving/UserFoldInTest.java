package io.xmrec.core.serving;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UserFoldInTest {

    private static final int USERS = 30;
    private static final int ITEMS = 200;
    private static final int D = 8;

    /** A FOREC-shaped network (GMF + MLP 16-8-4 + head 12-32-12) with random weights. */
    private static ServedModel model(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, ServedModel.Tensor> t = new LinkedHashMap<>();
        t.put("gmf_user_W", random(r, USERS, D, 0.5));
        t.put("gmf_item_W", random(r, ITEMS, D, 0.5));
        t.put("mlp_user_W", random(r, USERS, D, 0.5));
        t.put("mlp_item_W", random(r, ITEMS, D, 0.5));
        int[] mlp = {2 * D, 8, 4};
        for (int l = 1; l < mlp.length; l++) {
            t.put("mlp_" + l + "_W", random(r, mlp[l - 1], mlp[l], 0.5));
            t.put("mlp_" + l + "_b", random(r, 1, mlp[l], 0.1));
        }
        int fused = 4 + D;
        t.put("head_1_W", random(r, fused, 32, 0.4));
        t.put("head_1_b", random(r, 1, 32, 0.1));
        t.put("head_2_W", random(r, 32, fused, 0.4));
        t.put("head_2_b", random(r, 1, fused, 0.1));
        t.put("out_W", random(r, fused, 1, 0.5));
        t.put("out_b", random(r, 1, 1, 0.1));
        List<String> users = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            users.add(String.format("u%03d", u));
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            items.add(String.format("i%03d", i));
        }
        return new ServedModel("xx", 1, users, items, t);
    }

    private static ServedModel.Tensor random(SplittableRandom r, int rows, int cols, double std) {
        float[] v = new float[rows * cols];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) ((r.nextDouble() * 2 - 1) * std);
        }
        return new ServedModel.Tensor(rows == 1 ? new int[] {cols} : new int[] {rows, cols}, v);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        ServedModel m = model(7);
        UserFoldIn f = new UserFoldIn(m, UserFoldIn.Options.defaults());
        SplittableRandom r = new SplittableRandom(3);
        double[] p = new double[D];
        double[] q = new double[D];
        for (int k = 0; k < D; k++) {
            p[k] = r.nextDouble() - 0.5;
            q[k] = r.nextDouble() - 0.5;
        }
        int item = 17;
        for (float label : new float[] {0, 1}) {
            double[] gp = new double[D];
            double[] gq = new double[D];
            f.accumulate(p, q, item, label, gp, gq);
            for (int k = 0; k < D; k++) {
                assertEquals(numeric(f, p, q, item, label, p, k), gp[k], 1e-6, "d/dgmf[" + k + "]");
                assertEquals(numeric(f, p, q, item, label, q, k), gq[k], 1e-6, "d/dmlp[" + k + "]");
            }
        }
    }

    private static double numeric(UserFoldIn f, double[] p, double[] q, int item, float label, double[] x, int k) {
        double h = 1e-6;
        double keep = x[k];
        x[k] = keep + h;
        double up = bce(f.forward(p, q, item), label);
        x[k] = keep - h;
        double down = bce(f.forward(p, q, item), label);
        x[k] = keep;
        return (up - down) / (2 * h);
    }

    private static double bce(double y, float label) {
        return -(label * Math.log(y) + (1 - label) * Math.log(1 - y));
    }

    @Test
    void fittedUserRanksTheirItemsAboveTheRest() {
        ServedModel m = model(11);
        UserFoldIn f = new UserFoldIn(m, UserFoldIn.Options.defaults());
        int[] positives = {3, 40, 41, 90, 120, 150, 199};
        int[] pool = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            pool[i] = i;
        }
        UserFoldIn.Vectors start = f.averageUser();
        UserFoldIn.Vectors fitted = f.fit(positives, pool, "new-user");
        int[] items = new int[ITEMS];
        float[] labels = new float[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            items[i] = i;
        }
        for (int p : positives) {
            labels[p] = 1;
        }
        // balanced loss: the user's items against all others
        double before = f.loss(start, positives, ones(positives.length)) + f.loss(start, items, new float[ITEMS]);
        double after = f.loss(fitted, positives, ones(positives.length)) + f.loss(fitted, items, new float[ITEMS]);
        assertTrue(after < before, "fold-in must lower the loss: " + before + " -> " + after);
        // the user's items move up: AUC well above the average user's (a random network limits how far)
        double aucBefore = auc(f, start, labels);
        double aucAfter = auc(f, fitted, labels);
        assertTrue(aucAfter > 0.65 && aucAfter > aucBefore + 0.25, "AUC " + aucBefore + " -> " + aucAfter);
        // deterministic per user
        UserFoldIn.Vectors again = f.fit(positives, pool, "new-user");
        assertEquals(fitted.gmf()[0], again.gmf()[0]);
    }

    private static double auc(UserFoldIn f, UserFoldIn.Vectors v, float[] labels) {
        double[] y = new double[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            y[i] = f.forward(toDouble(v.gmf()), toDouble(v.mlp()), i);
        }
        double good = 0;
        double pairs = 0;
        for (int a = 0; a < ITEMS; a++) {
            for (int b = 0; b < ITEMS; b++) {
                if (labels[a] == 1 && labels[b] == 0) {
                    pairs++;
                    good += y[a] > y[b] ? 1 : y[a] == y[b] ? 0.5 : 0;
                }
            }
        }
        return good / pairs;
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, 1);
        return f;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return d;
    }
}
