package io.xmrec.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of MAML pre-training of the market-agnostic trunk.
 *
 * @param shots        samples per K-shot batch (the reference code draws K rows, positives and negatives mixed)
 * @param fastLr       inner-step SGD learning rate beta
 * @param metaLr       Adam learning rate of the meta-update
 * @param l2           L2 on the meta-update (Adam weight decay)
 * @param epochs       passes; each has as many meta-steps as the largest market has pairs of K-shot batches
 * @param maxMetaSteps caps the meta-steps per epoch (0 = no cap)
 * @param firstOrder   drop the Hessian term (first-order MAML) instead of the finite-difference second order
 * @param fdEps        norm of the parameter perturbation of the finite-difference Hessian-vector product
 */
public record MamlOptions(int shots, double fastLr, double metaLr, double l2, int epochs, int maxMetaSteps,
                          boolean firstOrder, double fdEps) {

    public MamlOptions {
        if (shots < 1 || epochs < 0 || maxMetaSteps < 0 || !(fastLr > 0) || !(metaLr > 0) || !(fdEps > 0)) {
            throw new IllegalArgumentException("MAML options out of range: " + this);
        }
    }

    /**
     * The defaults: 20-shot batches, beta 0.1, meta learning rate 1e-4, one epoch, second order. The L2 is
     * the networks' ({@link NcfOptions#defaults()}), as offline, where {@code --l2} sets both: the updater's
     * trunk meta-trains with the settings of an offline run (it used 1e-7 before, while offline used 1e-5).
     */
    public static MamlOptions defaults() {
        return new MamlOptions(20, 0.1, 1e-4, NcfOptions.defaults().l2(), 1, 0, false, 1e-3);
    }

    public MamlOptions withShots(int k) {
        return new MamlOptions(k, fastLr, metaLr, l2, epochs, maxMetaSteps, firstOrder, fdEps);
    }

    public MamlOptions withEpochs(int e) {
        return new MamlOptions(shots, fastLr, metaLr, l2, e, maxMetaSteps, firstOrder, fdEps);
    }

    public MamlOptions withMaxMetaSteps(int m) {
        return new MamlOptions(shots, fastLr, metaLr, l2, epochs, m, firstOrder, fdEps);
    }

    public MamlOptions withFirstOrder(boolean f) {
        return new MamlOptions(shots, fastLr, metaLr, l2, epochs, maxMetaSteps, f, fdEps);
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shots", shots);
        m.put("fast_lr", fastLr);
        m.put("meta_lr", metaLr);
        m.put("l2", l2);
        m.put("epochs", epochs);
        m.put("max_meta_steps_per_epoch", maxMetaSteps);
        m.put("order", firstOrder ? "first" : "second (finite-difference Hessian-vector product)");
        m.put("fd_eps", fdEps);
        return m;
    }
}
