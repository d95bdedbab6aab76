package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.OwnModels;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.model.recipe.Validation;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.Trained;
import io.xmrec.model.recipe.TrainingSettings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The slow path: the served recipe trained from scratch on a snapshot of every market, exactly as
 * an offline run trains it (the same recipe classes, settings and epochs): the shared stages once
 * on all markets together (for FOREC: GMF++, MLP++, NMF++, MAML), then each market's own stage
 * with the market as the target (the fork, fine-tuned on it). With {@code auto}, each market's own
 * GMF, MLP and NMF are trained too and the market is served whichever of them and of FOREC's stages
 * and fork wins on its validation ({@link Choice}). The models are handed over when every market has
 * one; then, with references, each market's single-market NMF (the offline recipe, early stopping
 * included) for comparison. Runs on its own thread; interrupting it stops training between two steps.
 */
final class TrunkTrainer {

    /** A trained trunk: each market's model (on the trunk's vocabularies) and what it cost. */
    record Trunk(long version, Map<String, Long> offsets, Map<String, NcfModel> models, Map<String, Choice> choices,
                 Map<String, Integer> users, double seconds, boolean bootstrap) {
    }

    /** What a trunk's training hands over as it goes: the forks first, then each market's reference. */
    interface Output {
        void forks(Trunk trunk);

        /** A market's reference, trained in {@code seconds} (0 when the choice trained it: the trunk's seconds hold it). */
        void reference(String market, NcfModel model, double seconds);
    }

    private final UpdaterSettings settings;
    private final Consumer<String> log;

    TrunkTrainer(UpdaterSettings settings, Consumer<String> log) {
        this.settings = settings;
        this.log = log;
    }

    /** The settings of a trunk: the recipe's, with fewer epochs for the first (bootstrap) one. */
    TrainingSettings training(boolean bootstrap) {
        TrainingSettings t = settings.training().withSeed(settings.seed());
        if (!bootstrap || settings.bootstrapEpochs() == 0) {
            return t;
        }
        // fewer, never more: with the recipe's epochs set below the bootstrap's (a large data set), the first trunk
        // took five epochs where every later one took one
        int e = Math.min(settings.bootstrapEpochs(), t.ncf().epochs());
        return new TrainingSettings(t.ncf().withEpochs(e), t.maml(), t.forec().withEpochs(Math.min(e, t.forec().epochs())));
    }

    /** Whether a trunk trains with fewer epochs than the recipe's (a bootstrap with its own epochs). */
    boolean shortened(boolean bootstrap) {
        return training(bootstrap).ncf().epochs() < training(false).ncf().epochs();
    }

    void train(long version, List<MarketSplit> splits, Map<String, Long> offsets, boolean bootstrap, Output out) {
        long t0 = System.nanoTime();
        List<MarketSplit> sorted = new ArrayList<>(splits);
        sorted.sort(java.util.Comparator.comparing(MarketSplit::market));
        List<String> markets = sorted.stream().map(MarketSplit::market).toList();
        TrainingSettings ts = training(bootstrap);
        Consumer<String> stageLog = line -> log.accept("updater: trunk v" + version + " " + line);
        Map<String, Integer> users = new LinkedHashMap<>();
        sorted.forEach(s -> users.put(s.market(), s.users().size()));
        String method = settings.trunkMethod();
        List<String> chain = settings.chooses() ? Choice.crossMarketChain() : Recipes.chain(method);
        // every market on shared vocabularies: built only when a stage is cross-market or the choice needs it (a
        // single-market recipe at 100x XMarket's size spent minutes building it for nothing)
        boolean crossMarket = settings.chooses() || chain.stream().map(Recipes::get)
                .anyMatch(r -> r.scope() == Recipe.Scope.SHARED || r.crossMarket());
        CrossMarketDataset all = crossMarket ? CrossMarketDataset.of(sorted) : null;
        log.accept(String.format("updater: trunk v%d on %s (%d users, %s items, %d training interactions)%s: %s", version,
                markets, users.values().stream().mapToInt(Integer::intValue).sum(),
                all == null ? "-" : Integer.toString(all.items().size()),
                sorted.stream().mapToLong(MarketSplit::trainInteractions).sum(),
                bootstrap ? " as bootstrap, " + ts.ncf().epochs() + " epochs per stage" : "", settings.method()));
        Map<String, Trained> shared = new LinkedHashMap<>();
        Map<String, NcfModel> models = new LinkedHashMap<>();
        Map<String, Choice> choices = new LinkedHashMap<>();
        Map<String, NcfModel> references = new LinkedHashMap<>(); // trained by the choice, counted in the trunk's seconds
        for (String stage : chain) {
            Recipe r = Recipes.get(stage);
            if (r.scope() == Recipe.Scope.SHARED) {
                shared.put(stage, r.train(new Recipe.Context(all, ts, shared, s -> null, validation(r, all, ts),
                        stageLog)));
            }
        }
        for (String market : markets) {
            Map<String, Trained> inputs = new LinkedHashMap<>(shared);
            CrossMarketDataset cross = all == null ? null : dataFor(all, sorted, market, true); // the market first
            Trained last = shared.get(method);
            for (String stage : chain) {
                Recipe r = Recipes.get(stage);
                if (r.scope() == Recipe.Scope.PER_MARKET) {
                    CrossMarketDataset ds = r.crossMarket() ? cross : dataFor(all, sorted, market, false);
                    last = r.train(new Recipe.Context(ds, ts, inputs, s -> null, validation(r, ds, ts), stageLog));
                    inputs.put(stage, last);
                }
            }
            if (last == null || last.model() == null) {
                throw new IllegalStateException("method " + method + " does not produce a network to serve");
            }
            NcfModel served = last.model();
            if (!settings.chooses() && method.equals(Choice.BASELINE)) {
                // served is the reference's recipe on the market's data: the reference, not trained a second time
                // (at 100x XMarket's size that second training was as long as the trunk)
                references.put(market, served);
            }
            if (settings.chooses()) {
                CrossMarketDataset one = dataFor(null, sorted, market, false);
                Map<String, Trained> own = single(one, ts, stageLog);
                references.put(market, own.get(Choice.BASELINE).model());
                Map<String, Trained> known = new LinkedHashMap<>(inputs);
                known.putAll(own);
                Map<String, Trained> candidates = new LinkedHashMap<>();
                for (String c : Choice.CANDIDATES) {
                    // a candidate built on the market's own models and the trunk's (a mean of two): its market's
                    // stages trained here; one that needs a shared stage the trunk did not train is left out
                    for (String stage : Recipes.chain(c)) {
                        Recipe r = Recipes.get(stage);
                        if (!known.containsKey(stage) && r.scope() == Recipe.Scope.PER_MARKET
                                && known.keySet().containsAll(r.inputs())) {
                            CrossMarketDataset ds = r.crossMarket() ? cross : one;
                            known.put(stage, r.train(new Recipe.Context(ds, ts, known, s -> null, validation(r, ds, ts),
                                    stageLog)));
                        }
                    }
                    Trained t = known.get(c);
                    if (t != null && t.model() != null) {
                        candidates.put(c, t);
                    }
                }
                Choice choice = choose(market, all, one, candidates);
                log.accept("updater: trunk v" + version + " " + market + " is served " + choice.summary());
                choices.put(market, choice);
                served = candidates.get(choice.method()).model();
            }
            models.put(market, served);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        log.accept(String.format("updater: trunk v%d trained in %.1fs", version, secs));
        out.forks(new Trunk(version, offsets, models, choices, users, secs, bootstrap));
        if (settings.references()) {
            long r0 = System.nanoTime();
            for (String market : markets) {
                long m0 = System.nanoTime();
                NcfModel ref = references.containsKey(market) ? references.get(market)
                        : single(dataFor(null, sorted, market, false), ts, stageLog).get(Choice.BASELINE).model();
                out.reference(market, ref, (System.nanoTime() - m0) / 1e9);
            }
            log.accept(String.format("updater: trunk v%d references out in %.1fs", version, (System.nanoTime() - r0) / 1e9));
        }
    }

    /**
     * A market's choice ({@link Choice}) on its validation items, against one draw of evaluation
     * negatives (from the market's items, so every candidate is ranked against the same ones).
     */
    private Choice choose(String market, CrossMarketDataset all, CrossMarketDataset one, Map<String, Trained> candidates) {
        IndexedMarket target = all.market(market);
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(target, all.items(), settings.evalNegatives(),
                settings.seed());
        Map<String, Map<String, Double>> valid = new LinkedHashMap<>();
        for (Map.Entry<String, Trained> e : candidates.entrySet()) {
            NcfModel m = e.getValue().model();
            // on the vocabularies the candidate was trained on: the market alone, or every market's
            CrossMarketDataset ds = Recipes.get(e.getKey()).crossMarket() ? all : one;
            valid.put(e.getKey(), Choice.perUser(m, ds.market(market), ds.items(), negs));
        }
        return Choice.of(market, valid, Choice.DEFAULT_MARGIN);
    }

    /** Early stopping's validation, as offline ({@link Validation}); none when the recipe does not stop early. */
    private java.util.function.ToDoubleFunction<NcfModel> validation(Recipe r, CrossMarketDataset ds, TrainingSettings ts) {
        return ts.ncf().patience() <= 0 ? null : Validation.of(r, ds, ts.ncf().seed(), settings.evalNegatives());
    }

    /** A market's data set: target first; on every market's vocabularies when the stage is cross-market. */
    private static CrossMarketDataset dataFor(CrossMarketDataset all, List<MarketSplit> sorted, String market,
                                              boolean cross) {
        if (!cross) {
            return CrossMarketDataset.of(sorted.stream().filter(s -> s.market().equals(market)).toList());
        }
        List<String> order = new ArrayList<>();
        order.add(market);
        sorted.stream().map(MarketSplit::market).filter(m -> !m.equals(market)).forEach(order::add);
        return all.restrictedTo(order);
    }

    /**
     * A market's own model: the choice's baseline (single-market NMF) on the market alone; a first model
     * (before any trunk has one for the market) with the bootstrap's epochs, a retrained one with the
     * recipe's (as offline). Any thread may call it (it keeps no state).
     */
    NcfModel ownModel(MarketSplit split, boolean first) {
        CrossMarketDataset one = CrossMarketDataset.of(List.of(split));
        String what = first ? "first model" : "own model";
        Consumer<String> stageLog = line -> log.accept("updater: " + what + " of " + split.market() + " " + line);
        return single(one, training(first), stageLog).get(Choice.BASELINE).model();
    }

    /**
     * A market's own model retrained from its last one ({@code from}, as that was trained, without the fast path's rows):
     * the baseline's last stage alone on everything read, from {@code from}'s rows and dense tensors
     * ({@link OwnModels#continueFrom}). Any thread may call it.
     */
    NcfModel continueOwn(NcfModel from, MarketSplit split) {
        return OwnModels.continueFrom(from, CrossMarketDataset.of(List.of(split)), training(false), settings.evalNegatives())
                .model();
    }

    /** A market's own models (the single-market GMF, MLP and NMF): the offline recipe on the market alone. */
    private Map<String, Trained> single(CrossMarketDataset one, TrainingSettings ts, Consumer<String> stageLog) {
        return Recipes.trainChain(Choice.BASELINE, one, ts, settings.evalNegatives(), stageLog);
    }
}
