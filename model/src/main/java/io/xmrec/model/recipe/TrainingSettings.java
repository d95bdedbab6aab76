package io.xmrec.model.recipe;

import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyper-parameters of every training stage, one object for the offline runner and the
 * continual updater alike: NCF (GMF, MLP, NMF and their ++ variants), MAML and the FOREC fork.
 */
public record TrainingSettings(NcfOptions ncf, MamlOptions maml, ForecFork.Options forec) {

    /** The paper's settings (and ours where we chose on validation): what offline runs and the updater use. */
    public static TrainingSettings defaults() {
        return new TrainingSettings(NcfOptions.defaults(), MamlOptions.defaults(), ForecFork.Options.defaults());
    }

    public TrainingSettings withNcf(NcfOptions o) {
        return new TrainingSettings(o, maml, forec);
    }

    public TrainingSettings withSeed(long seed) {
        return new TrainingSettings(ncf.withSeed(seed), maml, forec);
    }

    /** Everything as ordered maps, for provenance. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ncf", ncf.describe(null));
        m.put("maml", maml.describe());
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("head_widths", forec.headWidths());
        f.put("learning_rate", forec.learningRate());
        f.put("l2", forec.l2());
        f.put("batch_size", forec.batchSize());
        f.put("epochs", forec.epochs());
        f.put("trainable_mlp_layers", ForecFork.TRAINABLE_MLP_LAYERS);
        m.put("forec", f);
        return m;
    }
}
