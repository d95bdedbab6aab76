package io.xmrec.experiments;

import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an offline run does.
 *
 * @param target         the market evaluated
 * @param sources        source markets for the ++ methods (may be empty when none is asked for)
 * @param methods        methods to train and evaluate, in order
 * @param settings       every stage's hyper-parameters (NCF, MAML, the FOREC fork), as the recipes take them
 * @param protocol       who is evaluated and against what
 * @param outputs        where models and cached stages go; both may be null
 * @param validateEpochs evaluate sampled validation nDCG@10 after every epoch (shown in the progress line)
 */
public record OfflineConfig(String target, List<String> sources, List<String> methods, TrainingSettings settings,
                            Protocol protocol, Outputs outputs, boolean validateEpochs) {

    /**
     * The evaluation protocol.
     *
     * @param minInteractions users with fewer interactions are dropped
     * @param evalNegatives   sampled negatives per held-out item (99 in the paper)
     * @param full            also rank against the full item pool
     * @param negativesFile   read evaluation negatives from here when it exists, else write them here; may be null
     */
    public record Protocol(int minInteractions, int evalNegatives, boolean full, Path negativesFile) {
    }

    /**
     * Where a run leaves what it trained.
     *
     * @param saveModels directory to save trained models in; may be null
     * @param trunkCache directory of cross-market stages (gmf++ ... maml) keyed by their market set and
     *                   settings, loaded instead of trained when present; may be null
     */
    public record Outputs(Path saveModels, Path trunkCache) {

        /** Nothing saved, nothing cached. */
        public static final Outputs NONE = new Outputs(null, null);
    }

    public OfflineConfig {
        sources = List.copyOf(sources);
        methods = List.copyOf(withCandidates(methods, sources));
        if (sources.contains(target)) {
            throw new IllegalArgumentException("the target market " + target + " cannot also be a source");
        }
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("no method given");
        }
        for (String m : methods) {
            if (!m.equals(AUTO)) {
                Recipes.get(m); // unknown methods are refused here, with the list of known ones
            }
        }
        List<String> cross = methods.stream().filter(m -> !m.equals(AUTO) && Recipes.get(m).crossMarket()).toList();
        if (!cross.isEmpty() && sources.isEmpty()) {
            throw new IllegalArgumentException("methods " + cross + " need --source MARKET[,MARKET...]");
        }
    }

    /**
     * The per-market choice ({@link Choice}): served is whichever of the candidates it trains wins on the
     * target's validation. Single-market candidates only when no source is given.
     */
    public static final String AUTO = Choice.AUTO;

    /** The methods with {@link #AUTO}'s candidates added before it (auto last). */
    private static List<String> withCandidates(List<String> methods, List<String> sources) {
        if (!methods.contains(AUTO)) {
            return methods;
        }
        List<String> out = new ArrayList<>();
        methods.stream().filter(m -> !m.equals(AUTO)).forEach(out::add);
        for (String c : Choice.CANDIDATES) {
            if (!out.contains(c) && (!sources.isEmpty() || !Recipes.get(c).crossMarket())) {
                out.add(c);
            }
        }
        out.add(AUTO);
        return out;
    }

    /** The methods trained (every method but {@link #AUTO}). */
    public List<String> trainedMethods() {
        return methods.stream().filter(m -> !m.equals(AUTO)).toList();
    }

    /** Whether the run chooses per market ({@code auto}). */
    public boolean chooses() {
        return methods.contains(AUTO);
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
        return trainedMethods().stream().anyMatch(m -> Recipes.get(m).crossMarket());
    }

    public NcfOptions options() {
        return settings.ncf();
    }

    public MamlOptions maml() {
        return settings.maml();
    }

    public ForecFork.Options forec() {
        return settings.forec();
    }

    public int minInteractions() {
        return protocol.minInteractions();
    }

    public int evalNegatives() {
        return protocol.evalNegatives();
    }

    public boolean full() {
        return protocol.full();
    }

    public Path negativesFile() {
        return protocol.negativesFile();
    }

    public Path saveModels() {
        return outputs.saveModels();
    }

    public Path trunkCache() {
        return outputs.trunkCache();
    }
}
