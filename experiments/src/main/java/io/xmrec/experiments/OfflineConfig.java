package io.xmrec.experiments;

import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an offline run does.
 *
 * @param target          the market evaluated
 * @param sources         source markets for the ++ methods (may be empty when none is asked for)
 * @param methods         methods to train and evaluate, in order
 * @param options         NCF hyper-parameters (epochs, seed, ...)
 * @param maml            MAML pre-training settings (maml, forec)
 * @param forec           fork and fine-tuning settings (nmf-forec, forec)
 * @param minInteractions users with fewer interactions are dropped
 * @param evalNegatives   sampled negatives per held-out item (99 in the paper)
 * @param full            also rank against the full item pool
 * @param negativesFile   read evaluation negatives from here when it exists, else write them here; may be null
 * @param saveModels      directory to save trained models in; may be null
 * @param trunkCache      directory of cross-market stages (gmf++ ... maml) keyed by their market set and
 *                        settings, loaded instead of trained when present; may be null
 * @param validateEpochs  evaluate sampled validation nDCG@10 after every epoch (shown in the progress line)
 */
public record OfflineConfig(String target, List<String> sources, List<String> methods, NcfOptions options,
                            MamlOptions maml, ForecFork.Options forec,
                            int minInteractions, int evalNegatives, boolean full, Path negativesFile,
                            Path saveModels, Path trunkCache, boolean validateEpochs) {

    public OfflineConfig {
        sources = List.copyOf(sources);
        methods = List.copyOf(methods);
        if (sources.contains(target)) {
            throw new IllegalArgumentException("the target market " + target + " cannot also be a source");
        }
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("no method given");
        }
        for (String m : methods) {
            Recipes.get(m); // unknown methods are refused here, with the list of known ones
        }
        if (methods.stream().anyMatch(m -> Recipes.get(m).crossMarket()) && sources.isEmpty()) {
            throw new IllegalArgumentException("methods " + methods.stream().filter(m -> Recipes.get(m).crossMarket())
                    .toList() + " need --source MARKET[,MARKET...]");
        }
    }

    /** Markets whose data the run reads: target first. */
    public List<String> markets() {
        List<String> all = new ArrayList<>();
        all.add(target);
        if (crossMarket()) {
            all.addAll(sources);
        }
        return all;
    }

    /** Whether any method needs the sources. */
    public boolean crossMarket() {
        return methods.stream().anyMatch(m -> Recipes.get(m).crossMarket());
    }

    /** Every stage's hyper-parameters, as the recipes take them. */
    public TrainingSettings settings() {
        return new TrainingSettings(options, maml, forec);
    }
}
