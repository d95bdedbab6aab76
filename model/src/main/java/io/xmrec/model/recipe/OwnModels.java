package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfTrainer;

/** A market's own model (the choice's baseline on the market alone) retrained on grown data from the last one. */
public final class OwnModels {

    private OwnModels() {
    }

    /**
     * Retrains a market's own model on its grown data set starting from the last one ({@code from}, of the
     * choice's baseline, trained on the same market's earlier data): the baseline's last stage alone, from
     * {@code from}'s rows and dense tensors, early stopping on the data set's validation as {@link Recipes#trainChain}'s
     * stages do. What the updater's medium path runs between trunks where a market's own model is served.
     */
    public static Trained continueFrom(NcfModel from, CrossMarketDataset ds, TrainingSettings ts, int evalNegatives) {
        Recipe r = Recipes.get(Choice.BASELINE);
        if (r.crossMarket() || ds.markets().size() != 1) {
            throw new IllegalArgumentException("a market's own model is retrained on that market alone");
        }
        var validation = ts.ncf().patience() <= 0 ? null : Validation.of(r, ds, ts.ncf().seed(), evalNegatives);
        NcfTrainer.TrainingRun run = new NcfTrainer(ts.ncf(), null, validation).trainFrom(from, ds);
        return Trained.network(run.model(), run.seconds(), run.samplesPerSecond(), 0);
    }
}
