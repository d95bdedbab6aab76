package io.xmrec.experiments;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.MarketEvaluation;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.sampling.TrainingNegatives;
import io.xmrec.model.ForecFork;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.Trained;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One offline run: split the markets, train the requested methods (and the models they are
 * initialised from, once each), evaluate them on the target's validation and test items.
 */
public final class OfflineExperiment {

    public static final int K = 10;

    private final OfflineConfig config;
    private final Consumer<String> log;
    private final double targetFraction;
    private final int userGroups;
    private final double choiceMargin;

    public OfflineExperiment(OfflineConfig config, Consumer<String> log) {
        this(config, log, 1.0, 0, Choice.DEFAULT_MARGIN);
    }

    private OfflineExperiment(OfflineConfig config, Consumer<String> log, double targetFraction, int userGroups,
                              double choiceMargin) {
        this.config = config;
        this.log = log;
        this.targetFraction = targetFraction;
        this.userGroups = userGroups;
        this.choiceMargin = choiceMargin;
    }

    /** Trains on this fraction of each target user's training interactions (sources untouched; paper Figure 5b). */
    public OfflineExperiment withTargetFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--target-fraction must be in (0, 1], got " + fraction);
        }
        return new OfflineExperiment(config, log, fraction, userGroups, choiceMargin);
    }

    /** Also reports test metrics by user group, cold to warm (paper Figure 5a); 0 = not. */
    public OfflineExperiment withUserGroups(int groups) {
        if (groups < 0) {
            throw new IllegalArgumentException("--user-groups must not be negative, got " + groups);
        }
        return new OfflineExperiment(config, log, targetFraction, groups, choiceMargin);
    }

    /** The margin of {@code auto}'s choice, in standard errors of the paired validation difference ({@link Choice}). */
    public OfflineExperiment withChoiceMargin(double margin) {
        if (!(margin >= 0)) {
            throw new IllegalArgumentException("--choice-margin must be >= 0 standard errors, got " + margin);
        }
        return new OfflineExperiment(config, log, targetFraction, userGroups, margin);
    }

    /** What a run produced: one result per method and split, and the per-user ranks behind them. */
    public record Outcome(List<MethodResult> results, Map<String, MarketEvaluation> perUser,
                          Map<String, MarketSplitStats> markets, Map<String, NcfModel> models,
                          List<Analyses.GroupResult> userGroups, Choice choice) {
    }

    /** Sizes of a market after the split, for the report. */
    public record MarketSplitStats(String market, int users, int droppedUsers, int trainInteractions, int items) {
    }

    public Outcome run(Map<String, MarketData> data) {
        LeaveOneOutSplitter splitter = new LeaveOneOutSplitter(config.minInteractions());
        Map<String, MarketSplit> splits = new LinkedHashMap<>();
        Map<String, MarketSplitStats> stats = new LinkedHashMap<>();
        for (String m : config.markets()) {
            MarketData d = data.get(m);
            if (d == null) {
                throw new IllegalArgumentException("no data loaded for market " + m);
            }
            MarketSplit s = splitter.split(d);
            if (s.users().isEmpty()) {
                throw new IllegalArgumentException("market " + m + " has no user with at least "
                        + config.minInteractions() + " interactions");
            }
            if (m.equals(config.target()) && targetFraction < 1) {
                int before = s.trainInteractions();
                s = Analyses.keepFraction(s, targetFraction, config.options().seed());
                log.accept(String.format("%s: training on %.0f%% of each user's interactions: %d of %d", m,
                        100 * targetFraction, s.trainInteractions(), before));
            }
            splits.put(m, s);
        }
        CrossMarketDataset single = CrossMarketDataset.of(List.of(splits.get(config.target())));
        CrossMarketDataset cross = config.crossMarket() ? CrossMarketDataset.of(new ArrayList<>(splits.values())) : null;
        for (MarketSplit s : splits.values()) {
            IndexedMarket im = (cross != null ? cross : single).market(s.market());
            stats.put(s.market(), new MarketSplitStats(s.market(), s.users().size(), s.droppedUsers(),
                    s.trainInteractions(), im.itemPool().length));
            log.accept(String.format("%s: %d users (%d dropped with < %d interactions), %d training interactions, %d items",
                    s.market(), s.users().size(), s.droppedUsers(), config.minInteractions(), s.trainInteractions(),
                    im.itemPool().length));
        }

        EvaluationNegatives negatives = evaluationNegatives(single);

        List<MethodResult> results = new ArrayList<>();
        Map<String, MarketEvaluation> perUser = new LinkedHashMap<>();
        Map<String, NcfModel> models = new LinkedHashMap<>();
        Stages stages = new Stages(single, cross, negatives);
        for (String method : config.trainedMethods()) {
            Recipe recipe = Recipes.get(method);
            CrossMarketDataset ds = recipe.crossMarket() ? cross : single;
            IndexedMarket target = ds.target();
            Stage stage = stages.get(method);
            if (stage.model() != null) {
                models.put(method, stage.model());
            }
            long t0 = System.nanoTime();
            MarketEvaluation ev = OfflineEvaluator.evaluate(stage.scorer(), target, ds.items(), negatives, config.full());
            log.accept(String.format("[%s %s] evaluated %d users in %.1fs", target.market(), method,
                    target.users(), (System.nanoTime() - t0) / 1e9));
            perUser.put(target.market() + "/" + method, ev);
            for (Split split : Split.values()) {
                RankSummary sampled = ev.summary(split, false, K);
                RankSummary full = ev.summary(split, true, K);
                results.add(new MethodResult(target.market(), method, split, sampled, full,
                        PairedComparison.ci95HalfWidth(ndcgs(ev.ranks(split, false))),
                        new MethodResult.Cost(stage.seconds(), stages.pipelineSeconds(method), stage.samplesPerSecond(),
                                stage.metaStepsPerSecond())));
            }
        }
        Choice choice = config.chooses() ? choose(perUser, results, stages.totalSeconds()) : null;
        List<Analyses.GroupResult> groups = new ArrayList<>();
        if (userGroups > 0) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            splits.get(config.target()).users().forEach(u -> counts.put(u.user(), u.train().size()));
            perUser.forEach((key, ev) -> groups.addAll(Analyses.userGroups(key.substring(key.indexOf('/') + 1), ev,
                    counts, userGroups, K)));
        }
        return new Outcome(results, perUser, stats, models, groups, choice);
    }

    /**
     * {@code auto}: the candidates trained by this run compared on the target's validation items
     * ({@link Choice}); the chosen one's results and per-user ranks are added again as {@code auto}, its
     * pipeline cost that of every stage the run trained (the choice needs them all).
     */
    private Choice choose(Map<String, MarketEvaluation> perUser, List<MethodResult> results, double allSeconds) {
        Map<String, Map<String, Double>> valid = new LinkedHashMap<>();
        for (String c : Choice.CANDIDATES) {
            MarketEvaluation ev = perUser.get(config.target() + "/" + c);
            if (ev != null) {
                valid.put(c, Choice.perUser(ev.users(), ev.ranks(Split.VALIDATION, false)));
            }
        }
        Choice choice = Choice.of(config.target(), valid, choiceMargin);
        log.accept("[" + config.target() + " auto] chose " + choice.summary());
        perUser.put(config.target() + "/" + OfflineConfig.AUTO, perUser.get(config.target() + "/" + choice.method()));
        for (MethodResult r : List.copyOf(results)) {
            if (r.method().equals(choice.method())) {
                results.add(r.as(OfflineConfig.AUTO, allSeconds));
            }
        }
        return choice;
    }

    /**
     * A trained model and what training it (alone) cost (when it was trained, for a stage loaded
     * from the trunk cache). {@code model} is null for a scorer that is not an NCF network (DDTCDR).
     */
    record Stage(Scorer scorer, NcfModel model, double seconds, double samplesPerSecond, double metaStepsPerSecond,
                 List<String> inputs) {
        Stage(NcfModel model, double seconds, double samplesPerSecond, double metaStepsPerSecond, List<String> inputs) {
            this(model, model, seconds, samplesPerSecond, metaStepsPerSecond, inputs);
        }
    }

    /**
     * Trains each model once, with its prerequisites: gmf, mlp (from gmf), nmf (from gmf and mlp),
     * the same with ++ on target plus sources, maml (from nmf++), nmf-forec (fork of nmf++) and
     * forec (fork of maml), both fine-tuned on the target only.
     */
    private final class Stages {
        private final CrossMarketDataset single;
        private final CrossMarketDataset cross;
        private final EvaluationNegatives negatives;
        private final Map<String, Stage> done = new LinkedHashMap<>();
        private final Map<String, Double> loadedPipelineSeconds = new LinkedHashMap<>();

        Stages(CrossMarketDataset single, CrossMarketDataset cross, EvaluationNegatives negatives) {
            this.single = single;
            this.cross = cross;
            this.negatives = negatives;
        }

        Stage get(String name) {
            Stage s = done.get(name);
            if (s == null) {
                TrunkCache cache = config.trunkCache() != null
                        && Recipes.get(name).scope() == Recipe.Scope.SHARED
                        ? new TrunkCache(config.trunkCache(), cross, config) : null;
                TrunkCache.Cached cached = cache != null ? cache.load(name, log) : null;
                if (cached != null) {
                    s = cached.stage();
                    loadedPipelineSeconds.put(name, cached.pipelineSeconds());
                    done.put(name, s);
                } else {
                    s = train(name);
                    done.put(name, s);
                    if (cache != null) {
                        cache.save(name, s, pipelineSeconds(name), log);
                    }
                }
                if (config.saveModels() != null && s.model() != null) {
                    java.nio.file.Path dir = config.saveModels().resolve(single.target().market() + "-"
                            + name.replace("++", "pp"));
                    s.model().save(dir);
                    log.accept("saved " + name + " to " + dir);
                }
            }
            return s;
        }

        /** Seconds of every stage trained or loaded. */
        double totalSeconds() {
            return done.keySet().stream().mapToDouble(n -> loadedPipelineSeconds.containsKey(n) ? 0 : done.get(n).seconds())
                    .sum() + loadedPipelineSeconds.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
        }

        /** Seconds of a stage and everything it was built from. */
        double pipelineSeconds(String name) {
            Double loaded = loadedPipelineSeconds.get(name);
            if (loaded != null) {
                return loaded;
            }
            Stage s = done.get(name);
            double total = s.seconds();
            for (String in : s.inputs()) {
                total += pipelineSeconds(in);
            }
            return total;
        }

        /** Trains a stage with its recipe, its inputs (trained or loaded first) handed over. */
        private Stage train(String name) {
            Recipe recipe = Recipes.get(name);
            CrossMarketDataset ds = recipe.crossMarket() ? cross : single;
            Map<String, Trained> inputs = new LinkedHashMap<>();
            for (String in : recipe.inputs()) {
                Stage s = get(in);
                inputs.put(in, new Trained(s.scorer(), s.model(), s.seconds(), s.samplesPerSecond(), s.metaStepsPerSecond()));
            }
            boolean validate = config.validateEpochs() || config.options().patience() > 0;
            // a trunk kept for every market (--trunk-cache, as the continual updater trains it) is validated on all
            // its markets, so it is the same trunk whichever market is the target; otherwise, and for a market's own
            // stages, early stopping watches the target (Validation)
            java.util.function.ToDoubleFunction<NcfModel> valid = !validate ? null
                    : recipe.scope() == Recipe.Scope.SHARED && config.trunkCache() != null
                    ? io.xmrec.model.recipe.Validation.pooled(ds, ds.markets(), config.options().seed(),
                            config.evalNegatives())
                    : m -> io.xmrec.model.recipe.Validation.watchedMean(m, ds.target(), ds.items(), negatives);
            Trained t = recipe.train(new Recipe.Context(ds, config.settings(), inputs,
                    stage -> progress(stage, ds.target()), valid, log));
            return new Stage(t.scorer(), t.model(), t.seconds(), t.samplesPerSecond(), t.metaStepsPerSecond(),
                    recipe.inputs());
        }

    }

    private EvaluationNegatives evaluationNegatives(CrossMarketDataset single) {
        if (config.negativesFile() != null && Files.isRegularFile(config.negativesFile())) {
            log.accept("reading evaluation negatives from " + config.negativesFile());
            return EvaluationNegatives.read(config.negativesFile());
        }
        EvaluationNegatives negs = EvaluationNegatives.empty()
                .sample(single.target(), single.items(), config.evalNegatives(), config.options().seed());
        if (config.negativesFile() != null) {
            negs.write(config.negativesFile());
            log.accept("wrote evaluation negatives to " + config.negativesFile());
        }
        return negs;
    }

    private NcfTrainer.EpochListener progress(String label, IndexedMarket target) {
        return (r, model) -> {
            String valid = Double.isNaN(r.validation()) ? ""
                    : String.format(" | valid nDCG@10 %.4f%s", r.validation(), r.best() ? " *" : "");
            log.accept(String.format("[%s %s] epoch %d/%d loss %.4f%s | %.0f samples/s | ETA %s", target.market(),
                    label, r.epoch(), r.epochs(), r.meanLoss(), valid, r.samplesPerSecond(), duration(r.etaSeconds())));
        };
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    static double[] ndcgs(int[] ranks) {
        double[] out = new double[ranks.length];
        for (int i = 0; i < ranks.length; i++) {
            out[i] = RankingMetrics.ndcg(ranks[i], K);
        }
        return out;
    }

    /** The hyper-parameters of a run, for provenance. */
    public static Map<String, Object> hyperParameters(OfflineConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        NcfOptions o = c.options();
        m.put("training_negatives", TrainingNegatives.POLICY);
        m.put("evaluation_negatives", "items of the target's pool the user never rated (training, validation or test)");
        m.put("gmf", o.describe(NcfArchitecture.GMF));
        m.put("mlp", o.describe(NcfArchitecture.MLP));
        m.put("nmf", o.describe(NcfArchitecture.NMF));
        m.put("maml", c.maml().describe());
        m.put("forec", Map.of("head_widths", c.forec().headWidths(), "learning_rate", c.forec().learningRate(),
                "l2", c.forec().l2(), "batch_size", c.forec().batchSize(), "epochs", c.forec().epochs(),
                "trainable_mlp_layers", ForecFork.TRAINABLE_MLP_LAYERS));
        m.put("min_interactions", c.minInteractions());
        m.put("eval_negatives", c.evalNegatives());
        m.put("k", K);
        m.put("tie_breaking", "pessimistic: the held-out item ranks after every candidate with an equal score");
        m.put("full_candidates", "all items of the market except the user's training items; the held-out item stays");
        return m;
    }
}
