// What the medium path's fine-tunes do to a served mean of two networks (nmf+nmf, ModelMean), with its zero blocks
// held at zero (what the updater does) and without (what it did): quality on validation and test, and the cost of
// scoring a user against the whole catalogue, after each round.
//   java -cp app/target/xmrec.jar bench/MeanFineTune.java DATA_DIR MARKETS ROUNDS SEED
// A round is one medium-path job as the updater runs it with its defaults: a seeded sample of 20,000 training
// interactions over the market's users, one epoch at the updater's batch size, on a copy of the working model, whose
// dense tensors (the recipe's market tensors) are then copied into it. The mean is trained as the updater trains it
// (its own settings, early stopping on validation). Prints one JSON line per market and round (round 0: as trained).
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.metrics.MarketEvaluation;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.net.NetShape;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.holdout.Split;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.model.updater.UpdaterSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

public class MeanFineTune {

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        UpdaterSettings us = UpdaterSettings.defaults();
        TrainingSettings ts = us.training().withSeed(seed);
        for (String market : args[1].split(",")) {
            var split = new LeaveOneOutSplitter(3).split(XMarketReader.strict().read(market, dir.resolve(market + "_5core.txt")));
            CrossMarketDataset ds = CrossMarketDataset.of(List.of(split));
            IndexedMarket m = ds.markets().get(0);
            EvaluationNegatives negatives = EvaluationNegatives.empty().sample(m, ds.items(), EvaluationNegatives.DEFAULT_COUNT,
                    seed);
            String method = "nmf+nmf";
            Recipe recipe = Recipes.get(method);
            NcfModel mean = Recipes.trainChain(method, ds, ts, EvaluationNegatives.DEFAULT_COUNT, line -> { }).get(method).model();
            NcfModel held = mean.copy();
            NcfModel free = mean.copy();
            report(market, 0, "as trained", mean, m, ds, negatives);
            for (int r = 1; r <= rounds; r++) {
                CrossMarketDataset sample = sample(m, ds, us.headSample(), seed ^ r);
                NcfOptions o = ts.ncf().withEpochs(us.headEpochs()).withBatchSize(ts.forec().batchSize()).withSeed(seed + r);
                fineTune(held, sample, o, true, recipe);
                fineTune(free, sample, o, false, recipe);
                if (r == rounds || r % 5 == 0 || r == 1) {
                    report(market, r, "held", held, m, ds, negatives);
                    report(market, r, "free", free, m, ds, negatives);
                }
            }
        }
    }

    /** One medium-path job: a copy trained, its market tensors into the working model. */
    static void fineTune(NcfModel working, CrossMarketDataset sample, NcfOptions o, boolean hold, Recipe recipe) {
        NcfModel candidate = working.copy();
        new NcfTrainer(o, null).keepingZeroWeights(hold).train(candidate, sample);
        for (String t : recipe.marketTensors(working.net().shape())) {
            float[] into = working.net().get(t);
            System.arraycopy(candidate.net().get(t), 0, into, 0, into.length);
        }
    }

    /** About {@code n} training interactions drawn over the market's users, as a training-only data set. */
    static CrossMarketDataset sample(IndexedMarket m, CrossMarketDataset ds, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double p = Math.min(1.0, n / (double) m.trainInteractions());
        List<String> keys = new ArrayList<>();
        List<int[]> items = new ArrayList<>();
        for (int row = 0; row < m.users(); row++) {
            int[] train = m.trainItems(row);
            int[] keep = java.util.Arrays.stream(train).filter(i -> rnd.nextDouble() < p).toArray();
            if (keep.length > 0) {
                keys.add(ds.users().id(m.userIndex(row)));
                items.add(keep);
            }
        }
        return CrossMarketDataset.trainingOnly(m.market(), keys, items, m.itemPool(), ds.users(), ds.items());
    }

    static void report(String market, int round, String kind, NcfModel model, IndexedMarket m, CrossMarketDataset ds,
                       EvaluationNegatives negatives) {
        MarketEvaluation e = OfflineEvaluator.evaluate(model, m, ds.items(), negatives, false);
        int zeros = 0;
        int dense = 0;
        for (int l = 1; l <= model.net().shape().mlpDepth(); l++) {
            for (float x : model.net().get(NetShape.mlpWeight(l))) {
                zeros += x == 0f ? 1 : 0;
                dense++;
            }
        }
        // scoring: 300 users against the whole catalogue, three times, the fastest (after a warm-up)
        int[] pool = m.itemPool();
        int users = Math.min(300, m.users());
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 4; rep++) {
            long t0 = System.nanoTime();
            for (int row = 0; row < users; row++) {
                int[] u = new int[pool.length];
                java.util.Arrays.fill(u, m.userIndex(row));
                model.score(u, pool);
            }
            double ms = (System.nanoTime() - t0) / 1e6 / users;
            if (rep > 0) {
                best = Math.min(best, ms);
            }
        }
        System.out.printf("{\"market\": \"%s\", \"round\": %d, \"kind\": \"%s\", \"valid_ndcg10\": %.4f, \"test_ndcg10\": %.4f, "
                        + "\"zero_dense_weights\": %d, \"dense_weights\": %d, \"ms_per_user_catalogue\": %.3f, \"catalogue\": %d}%n",
                market, round, kind, e.summary(Split.VALIDATION, false, 10).ndcg(), e.summary(Split.TEST, false, 10).ndcg(),
                zeros, dense, best, pool.length);
        System.out.flush();
    }
}
