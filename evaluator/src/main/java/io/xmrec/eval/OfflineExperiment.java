package io.xmrec.eval;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
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

    public OfflineExperiment(OfflineConfig config, Consumer<String> log) {
        this.config = config;
        this.log = log;
    }

    /** What a run produced: one result per method and split, and the per-user ranks behind them. */
    public record Outcome(List<MethodResult> results, Map<String, MarketEvaluation> perUser,
                          Map<String, MarketSplitStats> markets) {
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
        Map<NcfArchitecture, NcfTrainer.TrainingRun> singleRuns = new EnumMap<>(NcfArchitecture.class);
        Map<NcfArchitecture, NcfTrainer.TrainingRun> crossRuns = new EnumMap<>(NcfArchitecture.class);
        for (Method method : config.methods()) {
            CrossMarketDataset ds = method.crossMarket() ? cross : single;
            IndexedMarket target = ds.target();
            Scorer scorer;
            double own = 0;
            double pipeline = 0;
            double sps = 0;
            if (method == Method.POP) {
                scorer = new PopularityScorer(target, ds.items().size());
            } else {
                Map<NcfArchitecture, NcfTrainer.TrainingRun> runs = method.crossMarket() ? crossRuns : singleRuns;
                NcfTrainer.TrainingRun run = trained(method.architecture(), ds, runs, negatives, method.crossMarket());
                scorer = run.model();
                own = run.seconds();
                sps = run.samplesPerSecond();
                pipeline = pipelineSeconds(method.architecture(), runs);
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
                        PairedComparison.ci95HalfWidth(ndcgs(ev.ranks(split, false))), own, pipeline, sps));
            }
        }
        return new Outcome(results, perUser, stats);
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

    private NcfTrainer.TrainingRun trained(NcfArchitecture arch, CrossMarketDataset ds,
                                           Map<NcfArchitecture, NcfTrainer.TrainingRun> runs,
                                           EvaluationNegatives negatives, boolean cross) {
        NcfTrainer.TrainingRun done = runs.get(arch);
        if (done != null) {
            return done;
        }
        String label = arch.label() + (cross ? "++" : "");
        NcfTrainer trainer = new NcfTrainer(config.options(), progress(label, ds.target(), ds, negatives));
        int samplesPerEpoch = 0;
        for (IndexedMarket m : ds.markets()) {
            samplesPerEpoch = Math.max(samplesPerEpoch, m.trainInteractions() * (1 + config.options().negatives()));
        }
        log.accept(String.format("[%s %s] training on %s: %d users, %d items, ~%d samples per market per epoch, %d epochs",
                ds.target().market(), label, ds.markets().stream().map(IndexedMarket::market).toList(),
                ds.users().size(), ds.items().size(), samplesPerEpoch, config.options().epochs()));
        NcfTrainer.TrainingRun run = switch (arch) {
            case GMF -> trainer.trainGmf(ds);
            case MLP -> trainer.trainMlp(ds, trained(NcfArchitecture.GMF, ds, runs, negatives, cross).model());
            case NMF -> trainer.trainNmf(ds, trained(NcfArchitecture.GMF, ds, runs, negatives, cross).model(),
                    trained(NcfArchitecture.MLP, ds, runs, negatives, cross).model());
        };
        runs.put(arch, run);
        log.accept(String.format("[%s %s] trained in %.1fs (%.0f samples/s)", ds.target().market(), label,
                run.seconds(), run.samplesPerSecond()));
        if (config.saveModels() != null) {
            java.nio.file.Path dir = config.saveModels().resolve(ds.target().market() + "-" + label.replace("++", "pp"));
            run.model().save(dir);
            log.accept("saved " + label + " to " + dir);
        }
        return run;
    }

    private static double pipelineSeconds(NcfArchitecture arch, Map<NcfArchitecture, NcfTrainer.TrainingRun> runs) {
        double s = 0;
        for (NcfArchitecture a : NcfArchitecture.values()) {
            if (a.ordinal() <= arch.ordinal() && runs.containsKey(a)) {
                s += runs.get(a).seconds();
            }
        }
        return s;
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
        m.put("min_interactions", c.minInteractions());
        m.put("eval_negatives", c.evalNegatives());
        m.put("k", K);
        m.put("tie_breaking", "pessimistic: the held-out item ranks after every candidate with an equal score");
        m.put("full_candidates", "all items of the market except the user's training items; the held-out item stays");
        return m;
    }
}
