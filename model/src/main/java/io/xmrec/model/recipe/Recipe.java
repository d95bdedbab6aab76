package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.net.NetShape;
import io.xmrec.model.NcfTrainer;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How one method is trained: the one definition the offline runner and the continual updater both
 * use. A recipe names the methods whose models it starts from ({@link #inputs}); the caller trains
 * those first (once, however many recipes need them) and hands them over in the {@link Context}.
 * Adding a method is a new recipe in {@link Recipes}: the runner, the updater, the record codec and
 * serving need no change as long as it produces a network of the NCF family ({@link NetShape}).
 */
public interface Recipe {

    /** What data a recipe trains on, and whether its model is shared by every market. */
    enum Scope {
        /** Trained once on every market together (the ++ stages, MAML); the same model for every market. */
        SHARED,
        /** Trained for one target market (on it alone, or starting from shared stages). */
        PER_MARKET
    }

    /** The method's name, e.g. {@code nmf++} or {@code forec}. */
    String method();

    /** By default trained for one target market. */
    default Scope scope() {
        return Scope.PER_MARKET;
    }

    /**
     * Whether it needs the source markets' data (its data set has the target first, then the sources);
     * by default not.
     */
    default boolean crossMarket() {
        return false;
    }

    /** Methods whose trained models this one starts from; by default none. */
    default List<String> inputs() {
        return List.of();
    }

    /** Trains the method. */
    Trained train(Context c);

    /**
     * The tensors a market owns in this method's model: what the continual updater fine-tunes per
     * market between trunks (a FOREC head); by default every dense tensor.
     */
    default List<String> marketTensors(NetShape shape) {
        return shape.tensorNames().stream().filter(n -> !NetShape.isUserTable(n) && !NetShape.isItemTable(n)).toList();
    }

    /**
     * Whether its network's dense layers are block-diagonal by construction (a mean of two networks): then
     * fine-tuning holds their zero blocks at zero ({@link io.xmrec.model.NcfTrainer#keepingZeroWeights}); by
     * default not.
     */
    default boolean blockDiagonal() {
        return false;
    }

    /**
     * What a recipe is given.
     *
     * @param data     the data set it trains on: the target alone, or target first and then the sources
     * @param settings every stage's hyper-parameters
     * @param inputs   the trained models of {@link #inputs()}
     * @param progress   an epoch listener for a stage name; may return null
     * @param validation the validation nDCG@10 of a model on the target (for the epoch reports and early stopping);
     *                   may be null
     * @param log        one line per notable step
     */
    record Context(CrossMarketDataset data, TrainingSettings settings, Map<String, Trained> inputs,
                   Function<String, NcfTrainer.EpochListener> progress,
                   java.util.function.ToDoubleFunction<io.xmrec.model.NcfModel> validation, Consumer<String> log) {

        public Context(CrossMarketDataset data, TrainingSettings settings, Map<String, Trained> inputs,
                       Function<String, NcfTrainer.EpochListener> progress, Consumer<String> log) {
            this(data, settings, inputs, progress, null, log);
        }

        public String target() {
            return data.target().market();
        }

        public Trained input(String method) {
            Trained t = inputs.get(method);
            if (t == null) {
                throw new IllegalStateException("the input " + method + " was not trained before its user");
            }
            return t;
        }

        public NcfTrainer.EpochListener listener(String stage) {
            return progress == null ? null : progress.apply(stage);
        }
    }
}
