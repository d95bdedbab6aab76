package io.xmrec.eval;

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
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlTrainer;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;

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

    public OfflineExperiment(OfflineConfig config, Consumer<String> log) {
        this(config, log, 1.0, 0);
    }

    private OfflineExperiment(OfflineConfig config, Consumer<String> log, double targetFraction, int userGroups) {
        this.config = config;
        this.log = log;
        this.targetFraction = targetFraction;
        this.userGroups = userGroups;
    }

    /** Trains on this fraction of each target user's training interactions (sources untouched; paper Figure 5b). */
    public OfflineExperiment withTargetFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--target-fraction must be in (0, 1], got " + fraction);
        }
        return new OfflineExperiment(config, log, fraction, userGroups);
    }

    /** Also reports test metrics by user group, cold to warm (paper Figure 5a); 0 = not. */
    public OfflineExperiment withUserGroups(int groups) {
        if (groups < 0) {
            throw new IllegalArgumentException("--user-groups must not be negative, got " + groups);
        }
        return new OfflineExperiment(config, log, targetFraction, groups);
    }

    /** What a run produced: one result per method and split, and the per-user ranks behind them. */
    public record Outcome(List<MethodResult> results, Map<String, MarketEvaluation> perUser,
                          Map<String, MarketSplitStats> markets, Map<String, NcfModel> models,
                          List<Analyses.GroupResult> userGroups) {
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
        CrossMarketDataset cross = config.methods().stream().anyMatch(Method::crossMarket)
                ? CrossMarketDataset.of(new ArrayList<>(splits.values())) : null;
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
        for (Method method : config.methods()) {
            CrossMarketDataset ds = method.crossMarket() ? cross : single;
            IndexedMarket target = ds.target();
            Scorer scorer;
            Stage stage = null;
            if (method == Method.POP) {
                scorer = new PopularityScorer(target, ds.items().size());
            } else {
                stage = stages.get(method.label());
                scorer = stage.scorer();
                if (stage.model() != null) {
                    models.put(method.label(), stage.model());
                }
            }
            long t0 = System.nanoTime();
            MarketEvaluation ev = OfflineEvaluator.evaluate(scorer, target, ds.items(), negatives, config.full());
            log.accept(String.format("[%s %s] evaluated %d users in %.1fs", target.market(), method.label(),
                    target.users(), (System.nanoTime() - t0) / 1e9));
            perUser.put(target.market() + "/" + method.label(), ev);
            for (Split split : Split.values()) {
                RankSummary sampled = ev.summary(split, false, K);
                RankSummary full = ev.summary(split, true, K);
                results.add(new MethodResult(target.market(), method.label(), split, sampled, full,
                        PairedComparison.ci95HalfWidth(ndcgs(ev.ranks(split, false))),
                        stage == null ? 0 : stage.seconds(), stage == null ? 0 : stages.pipelineSeconds(method.label()),
                        stage == null ? 0 : stage.samplesPerSecond(), stage == null ? 0 : stage.metaStepsPerSecond()));
            }
        }
        List<Analyses.GroupResult> groups = new ArrayList<>();
        if (userGroups > 0) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            splits.get(config.target()).users().forEach(u -> counts.put(u.user(), u.train().size()));
            perUser.forEach((key, ev) -> groups.addAll(Analyses.userGroups(key.substring(key.indexOf('/') + 1), ev,
                    counts, userGroups, K)));
        }
        return new Outcome(results, perUser, stats, models, groups);
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
                TrunkCache cache = config.trunkCache() != null && TrunkCache.STAGES.contains(name)
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

        private Stage train(String name) {
            boolean pp = name.endsWith("++") || name.equals("maml") || name.endsWith("forec") || name.equals("forec-src-head")
                    || name.equals("ddtcdr");
            CrossMarketDataset ds = pp ? cross : single;
            String market = ds.target().market();
            return switch (name) {
                case "gmf", "gmf++" -> ncf(name, ds, t -> t.trainGmf(ds), List.of());
                case "mlp", "mlp++" -> {
                    String gmf = pp ? "gmf++" : "gmf";
                    NcfModel g = get(gmf).model();
                    yield ncf(name, ds, t -> t.trainMlp(ds, g), List.of(gmf));
                }
                case "nmf", "nmf++" -> {
                    String gmf = pp ? "gmf++" : "gmf";
                    String mlp = pp ? "mlp++" : "mlp";
                    NcfModel g = get(gmf).model();
                    NcfModel m = get(mlp).model();
                    yield ncf(name, ds, t -> t.trainNmf(ds, g, m), List.of(gmf, mlp));
                }
                case "maml" -> {
                    NcfModel init = get("nmf++").model();
                    log.accept(String.format("[%s maml] meta-training on %s: %d-shot batches, fast lr %s, %s order, %d epochs",
                            market, ds.markets().stream().map(IndexedMarket::market).toList(), config.maml().shots(),
                            config.maml().fastLr(), config.maml().firstOrder() ? "first" : "second", config.maml().epochs()));
                    MamlTrainer.MamlRun run = new MamlTrainer(config.maml(), config.options().seed(),
                            config.options().negatives(), (e, n, steps, loss, secs, model) -> log.accept(String.format(
                                    "[%s maml] epoch %d/%d: %d meta-steps, eval loss %.4f%s | %.0f meta-steps/s",
                                    market, e, n, steps, loss, validation(model, ds), steps / Math.max(secs, 1e-9))))
                            .train(init, ds);
                    log.accept(String.format("[%s maml] trained in %.1fs (%.1f meta-steps/s)", market, run.seconds(),
                            run.metaStepsPerSecond()));
                    yield new Stage(run.model(), run.seconds(), 0, run.metaStepsPerSecond(), List.of("nmf++"));
                }
                case "nmf-forec", "forec", "forec-src-head" -> {
                    String from = name.equals("nmf-forec") ? "nmf++" : "maml";
                    NcfModel trunk = get(from).model();
                    NcfModel forked = ForecFork.fork(trunk, config.forec(), config.options().seed());
                    double sourceSeconds = 0;
                    if (name.equals("forec-src-head")) { // a fork fine-tuned on the source first; its head is the start
                        String source = ds.markets().get(1).market();
                        NcfModel sourceFork = ForecFork.fork(trunk, config.forec(), config.options().seed());
                        NcfTrainer.TrainingRun s = fineTuneFork(name, market, source, from, sourceFork, ds, null);
                        sourceSeconds = s.seconds();
                        if (!ForecFork.copyHead(s.model(), forked, config.forec())) {
                            throw new IllegalStateException("the head of " + source + "'s fork does not fit " + market + "'s");
                        }
                    }
                    NcfTrainer.TrainingRun run = fineTuneFork(name, market, market, from, forked, ds,
                            progress(name, ds.target(), ds, negatives));
                    yield new Stage(run.model(), run.seconds() + sourceSeconds, run.samplesPerSecond(), 0, List.of(from));
                }
                case "ddtcdr" -> ddtcdr(ds);
                default -> throw new IllegalArgumentException("no training stage called " + name);
            };
        }

        /** Fine-tunes a fork of {@code from} on one market's data only (FOREC's last step). */
        private NcfTrainer.TrainingRun fineTuneFork(String name, String target, String on, String from, NcfModel fork,
                                                    CrossMarketDataset ds, NcfTrainer.EpochListener progress) {
            NcfOptions ft = config.options().withEpochs(config.forec().epochs()).withBatchSize(config.forec().batchSize());
            log.accept(String.format("[%s %s] fine-tuning a fork of %s on %s only: head %s, lr %s, l2 %s, batch %d, %d epochs",
                    target, name, from, on, config.forec().headWidths(), config.forec().learningRate(),
                    config.forec().l2(), config.forec().batchSize(), config.forec().epochs()));
            NcfTrainer.TrainingRun run = new NcfTrainer(ft, progress).train(fork, ds.restrictedTo(List.of(on)));
            log.accept(String.format("[%s %s] fine-tuned on %s in %.1fs (%.0f samples/s)", target, name, on, run.seconds(),
                    run.samplesPerSecond()));
            return run;
        }

        /**
         * DDTCDR on the target and its one source: a GMF per market on the shared vocabularies for
         * the initial tables, then both MLPs with the orthogonal item map (counted in one stage).
         */
        private Stage ddtcdr(CrossMarketDataset ds) {
            if (ds.markets().size() != 2) {
                throw new IllegalArgumentException("ddtcdr pairs the target with one source market; got sources "
                        + config.sources() + ": give --source with a single market");
            }
            String target = ds.target().market();
            String source = ds.markets().get(1).market();
            long t0 = System.nanoTime();
            NcfModel[] gmf = new NcfModel[2];
            int k = 0;
            for (String m : List.of(target, source)) {
                CrossMarketDataset one = ds.restrictedTo(List.of(m));
                log.accept(String.format("[%s ddtcdr] GMF on %s alone for the initial tables", target, m));
                gmf[k++] = new NcfTrainer(config.options(), null).trainGmf(one).model();
            }
            NcfOptions n = config.options();
            io.xmrec.model.Ddtcdr.Options o = new io.xmrec.model.Ddtcdr.Options(n.gmfDim(), List.of(16, 8), 0.5, 1.0,
                    0.001, 0.0, n.epochs(), n.batchSize(), n.negatives(), n.seed());
            io.xmrec.model.Ddtcdr model = io.xmrec.model.Ddtcdr.fromGmf(ds, gmf[0], gmf[1], o);
            log.accept(String.format("[%s ddtcdr] training with source %s: dim %d, MLP %s, a %.1f, orthogonality %.1f, "
                    + "%d epochs", target, source, o.dim(), o.hidden(), o.alpha(), o.orthogonality(), o.epochs()));
            model.train(ds.target(), ds.market(source), (e, epochs, lt, ls, gap, secs) -> log.accept(String.format(
                    "[%s ddtcdr] epoch %d/%d loss %s %.4f, %s %.4f, ||X^T X - I|| %.4f%s | %.1fs", target, e, epochs,
                    target, lt, source, ls, gap, validation(model, ds), secs)));
            double secs = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("[%s ddtcdr] trained in %.1fs (GMFs included)", target, secs));
            return new Stage(model, null, secs, 0, 0, List.of());
        }

        private Stage ncf(String name, CrossMarketDataset ds, java.util.function.Function<NcfTrainer, NcfTrainer.TrainingRun> how,
                          List<String> inputs) {
            NcfTrainer trainer = new NcfTrainer(config.options(), progress(name, ds.target(), ds, negatives));
            int samplesPerEpoch = 0;
            for (IndexedMarket m : ds.markets()) {
                samplesPerEpoch = Math.max(samplesPerEpoch, m.trainInteractions() * (1 + config.options().negatives()));
            }
            log.accept(String.format("[%s %s] training on %s: %d users, %d items, ~%d samples per market per epoch, %d epochs",
                    ds.target().market(), name, ds.markets().stream().map(IndexedMarket::market).toList(),
                    ds.users().size(), ds.items().size(), samplesPerEpoch, config.options().epochs()));
            NcfTrainer.TrainingRun run = how.apply(trainer);
            log.accept(String.format("[%s %s] trained in %.1fs (%.0f samples/s)", ds.target().market(), name,
                    run.seconds(), run.samplesPerSecond()));
            return new Stage(run.model(), run.seconds(), run.samplesPerSecond(), 0, inputs);
        }

        private String validation(Scorer model, CrossMarketDataset ds) {
            if (!config.validateEpochs()) {
                return "";
            }
            MarketEvaluation ev = OfflineEvaluator.evaluate(model, ds.target(), ds.items(), negatives, false);
            return String.format(" | valid nDCG@10 %.4f", ev.summary(Split.VALIDATION, false, K).ndcg());
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

    private NcfTrainer.EpochListener progress(String label, IndexedMarket target, CrossMarketDataset ds,
                                             EvaluationNegatives negatives) {
        return (r, model) -> {
            String valid = "";
            if (config.validateEpochs()) {
                MarketEvaluation ev = OfflineEvaluator.evaluate(model, target, ds.items(), negatives, false);
                valid = String.format(" | valid nDCG@10 %.4f", ev.summary(Split.VALIDATION, false, K).ndcg());
            }
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
