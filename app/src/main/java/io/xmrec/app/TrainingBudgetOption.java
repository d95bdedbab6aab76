package io.xmrec.app;

import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.model.updater.UpdaterSettings;
import picocli.CommandLine.Option;

/**
 * What the trunks of the one-JVM runs ({@code xmrec demo}, the bench driver) train and for how long: the method,
 * the epochs of every stage and MAML's cap. The defaults are the updater's (the per-market choice, up to 50 epochs
 * with early stopping, no cap), right for XMarket's size; on data a hundred times larger a trunk with them takes
 * hours on two cores, and these bound it.
 */
final class TrainingBudgetOption {

    @Option(names = "--method", description = "The method served: auto (each market's choice at every trunk) or one "
            + "recipe of xmrec offline for every market (default: auto).")
    String method;

    @Option(names = "--epochs", description = "Epochs of every training stage of a trunk, the fork's fine-tuning "
            + "included, as the updater's --epochs (default: the updater's, 50 at most with early stopping).")
    Integer epochs;

    @Option(names = "--maml-max-steps", description = "MAML: cap on meta-steps per epoch, as offline's flag of that name "
            + "(default: the updater's, none).")
    Integer mamlMaxSteps;

    /** A clear error for a bad value (an unknown method, epochs below 1, a negative cap): callable before any work. */
    void check() {
        if (method != null && !method.equals(Choice.AUTO)) {
            Recipes.get(method);
        }
        if ((epochs != null && epochs < 1) || (mamlMaxSteps != null && mamlMaxSteps < 0)) {
            throw new IllegalArgumentException("--epochs must be positive and --maml-max-steps not negative");
        }
    }

    /** {@code s} with whichever of these options were given, {@link #check checked}. */
    UpdaterSettings apply(UpdaterSettings s) {
        check();
        TrainingSettings t = s.training();
        if (epochs != null) {
            t = new TrainingSettings(t.ncf().withEpochs(epochs), t.maml(), t.forec().withEpochs(epochs));
        }
        if (mamlMaxSteps != null) {
            t = new TrainingSettings(t.ncf(), t.maml().withMaxMetaSteps(mamlMaxSteps), t.forec());
        }
        UpdaterSettings out = s.withTraining(t);
        return method == null ? out : out.withMethod(method);
    }
}
