package io.xmrec.experiments;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.metrics.MarketEvaluation;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankSummary;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;
import io.xmrec.core.sampling.SeededOrder;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.PopularityScorer;
import io.xmrec.serving.RowFitter;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * How well a user who arrives after the models were trained is served, offline. A seeded share of
 * the target market's users is held back: the methods are trained without them ("reduced") and,
 * for the upper bound, again with them ("retrained"). The held-back users are then evaluated with
 * <ul>
 *   <li>{@code retrained}: the model trained with their data (what the next trunk gives them);</li>
 *   <li>{@code fold-in}: the reduced model with their embeddings fitted by {@link RowFitter} (every
 *       other parameter fixed): what the continual updater does between trunks;</li>
 *   <li>{@code average-user}: the reduced model with the mean user vectors (no training);</li>
 *   <li>{@code pop}: item popularity in the reduced target market.</li>
 * </ul>
 * Negatives are drawn from the items the reduced models know (the known users' items), so no
 * method ranks against items it has never seen; a held-out item a reduced model does not know
 * scores lowest.
 */
public final class NewUserExperiment {

    /** One evaluated variant. */
    public record Row(String method, String variant, RankSummary valid, RankSummary test) {
    }

    /** The run: how many users were held back, the rows, and what folding in cost. */
    public record Outcome(String target, int newUsers, int knownUsers, List<Row> rows, double foldInMillisPerUser) {
    }

    private final OfflineConfig config;
    private final double fraction;
    private final RowFitter.Options fold;
    private final Consumer<String> log;

    public NewUserExperiment(OfflineConfig config, double fraction, RowFitter.Options fold, Consumer<String> log) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--new-users must be a fraction between 0 and 1, got " + fraction);
        }
        if (config.methods().stream().noneMatch(m -> !m.equals("pop"))) {
            throw new IllegalArgumentException("--new-users needs a trained method (e.g. --method forec), not only pop");
        }
        if (config.methods().contains("ddtcdr")) {
            throw new IllegalArgumentException("--new-users folds users into NCF networks; ddtcdr is not one: leave it out");
        }
        this.config = config;
        this.fraction = fraction;
        this.fold = fold;
        this.log = log;
    }

    public Outcome run(Map<String, MarketData> data) {
        String market = config.target();
        MarketData target = data.get(market);
        MarketSplit split = new LeaveOneOutSplitter(config.minInteractions()).split(target);
        List<String> users = split.users().stream().map(UserSplit::user).toList();
        int n = Math.max(1, (int) Math.round(fraction * users.size()));
        Set<String> fresh = Set.copyOf(SeededOrder.first(users, n, config.options().seed()));
        log.accept(String.format("[%s new users] holding back %d of %d users (%.0f%%), training without them",
                market, n, users.size(), 100 * fraction));
        Map<String, MarketData> reducedData = new LinkedHashMap<>(data);
        List<Interaction> kept = target.interactions().stream().filter(i -> !fresh.contains(i.user())).toList();
        reducedData.put(market, new MarketData(market, target.source(), target.sha256(), kept, target.skippedLines()));
        List<String> trained = config.methods().stream().filter(m -> !m.equals("pop")).toList();
        OfflineConfig noEval = new OfflineConfig(market, config.sources(), trained, config.settings(),
                new OfflineConfig.Protocol(config.minInteractions(), config.evalNegatives(), false, null),
                OfflineConfig.Outputs.NONE, false);
        OfflineExperiment.Outcome reduced = new OfflineExperiment(noEval, log).run(reducedData);
        log.accept(String.format("[%s new users] training again with them (the retrained upper bound)", market));
        OfflineExperiment.Outcome full = new OfflineExperiment(noEval, log).run(data);

        // evaluation space: the target's full vocabulary; negatives from the items the reduced models know
        MarketSplit newSplit = split.withUsers(fresh::contains);
        MarketSplit knownSplit = split.withUsers(u -> !fresh.contains(u));
        CrossMarketDataset all = CrossMarketDataset.of(List.of(split));
        IdVocabulary items = all.items();
        TreeSet<Integer> knownItems = new TreeSet<>();
        for (UserSplit u : knownSplit.users()) {
            u.train().forEach(i -> knownItems.add(items.indexOf(i.item())));
            knownItems.add(items.indexOf(u.validation().item()));
            knownItems.add(items.indexOf(u.test().item()));
        }
        int[] pool = knownItems.stream().mapToInt(Integer::intValue).toArray();
        CrossMarketDataset ds = CrossMarketDataset.withVocabularies(List.of(newSplit), all.users(), items)
                .withItemPool(market, pool);
        EvaluationNegatives negs = EvaluationNegatives.empty().sample(ds.target(), items, config.evalNegatives(),
                config.options().seed());

        List<Row> rows = new ArrayList<>();
        CrossMarketDataset reducedTarget = CrossMarketDataset.withVocabularies(List.of(knownSplit), all.users(), items);
        add(rows, "pop", "reduced", new PopularityScorer(reducedTarget.target(), items.size()), ds, negs);
        long foldNanos = 0;
        int folded = 0;
        for (String label : trained) {
            add(rows, label, "retrained", mapped(full.models().get(label), ds), ds, negs);
            ModelMeta meta = ModelMeta.builder(market, 1, 1).build();
            ServedModel served = MarketModels.served(market, reduced.models().get(label), meta, new int[0], new int[0]);
            RowFitter f = new RowFitter(fold);
            int[] servedPool = java.util.Arrays.stream(pool).map(i -> served.items().indexOf(items.id(i)))
                    .filter(i -> i >= 0).sorted().toArray();
            List<String> ids = new ArrayList<>();
            int[][] positives = new int[newSplit.users().size()][];
            List<RowFitter.Rows> start = new ArrayList<>();
            RowFitter.Rows avg = RowFitter.averageUser(served.net());
            long t0 = System.nanoTime();
            for (UserSplit u : newSplit.users()) {
                positives[ids.size()] = u.train().stream().mapToInt(i -> served.items().indexOf(i.item())).filter(i -> i >= 0)
                        .toArray();
                ids.add(u.user());
                start.add(avg);
            }
            List<RowFitter.Rows> fitted = f.fitUsers(served.net(), positives, servedPool, start, ids);
            foldNanos += System.nanoTime() - t0;
            folded += newSplit.users().size();
            add(rows, label, "fold-in", served(served.withUsers(ids, fitted), market, ds), ds, negs);
            add(rows, label, "average-user", served(served.withUsers(ids, start), market, ds), ds, negs);
        }
        return new Outcome(market, n, users.size() - n, rows, folded == 0 ? 0 : foldNanos / 1e6 / folded);
    }

    private void add(List<Row> rows, String method, String variant, Scorer s,
                     CrossMarketDataset ds, EvaluationNegatives negs) {
        MarketEvaluation ev = OfflineEvaluator.evaluate(s, ds.target(), ds.items(), negs, false);
        Row r = new Row(method, variant, ev.summary(Split.VALIDATION, false, OfflineExperiment.K),
                ev.summary(Split.TEST, false, OfflineExperiment.K));
        rows.add(r);
        log.accept(String.format("[%s new users] %-9s %-12s valid nDCG@10 %.4f  test nDCG@10 %.4f  test HR@10 %.4f",
                ds.target().market(), method, variant, r.valid().ndcg(), r.test().ndcg(), r.test().hitRate()));
    }

    /** A trained model scored in the evaluation's vocabularies (every user and item of the target is in it). */
    private static Scorer mapped(NcfModel m, CrossMarketDataset ds) {
        int[] user = remap(ds.users(), m.users());
        int[] item = remap(ds.items(), m.items());
        return (u, i) -> {
            int[] mu = new int[u.length];
            int[] mi = new int[i.length];
            for (int k = 0; k < u.length; k++) {
                mu[k] = Math.max(user[u[k]], 0);
                mi[k] = Math.max(item[i[k]], 0);
            }
            float[] out = m.score(mu, mi);
            for (int k = 0; k < u.length; k++) {
                if (user[u[k]] < 0 || item[i[k]] < 0) {
                    out[k] = Float.NEGATIVE_INFINITY;
                }
            }
            return out;
        };
    }

    /** A served model (users without the market prefix) scored in the evaluation's vocabularies. */
    private static Scorer served(ServedModel m, String market, CrossMarketDataset ds) {
        String prefix = CrossMarketDataset.userKey(market, "");
        int[] user = new int[ds.users().size()];
        for (int k = 0; k < user.length; k++) {
            String key = ds.users().id(k);
            user[k] = key.startsWith(prefix) ? m.users().indexOf(key.substring(prefix.length())) : -1;
        }
        int[] item = remap(ds.items(), m.items());
        return (u, i) -> {
            float[] out = new float[u.length];
            for (int k = 0; k < u.length; k++) {
                out[k] = user[u[k]] < 0 || item[i[k]] < 0 ? Float.NEGATIVE_INFINITY
                        : m.score(user[u[k]], new int[] {item[i[k]]})[0];
            }
            return out;
        };
    }

    private static int[] remap(IdVocabulary from, IdVocabulary to) {
        int[] out = new int[from.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = to.indexOf(from.id(k));
        }
        return out;
    }
}
