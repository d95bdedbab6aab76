package io.xmrec.model.updater;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.RollingHoldout;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.RowFitter;
import io.xmrec.serving.ServedModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the fast path's fold costs a model, offline and in seconds (bench/results/continual-value.md, "fold-in
 * probe"): for one market, at a cut in event time, single-market NMF trained on everything before the cut
 * ({@code own}), the same with every user re-fitted by the fold ({@code own+fold}), NMF trained on an early part
 * ({@code early}), that brought to the cut by one fold ({@code early+fold}) and by the fast path's jobs as the
 * stream brings the events ({@code early+stream}: each user's rolling holdout, a fold every {@code batch}
 * promotions), each measured (a) as the updater measures a model (leave-one-out validation on the holdouts at
 * the cut) and (b) prequentially (each interaction of the next twentieth of the data ranked against 99 negatives
 * of the items seen before it, the model fixed), beside popularity; and, for {@code early+stream}, how often a
 * negative outscores the interaction's item by whether the early model trained it or the fast path folded it in.
 *
 * <pre>java -cp ... io.xmrec.model.updater.FoldInProbe FILE MARKET [at=0.4] [early=0.15] [batch=20] [steps=20] [lr=0.15]</pre>
 */
final class FoldInProbe {

    public static void main(String[] args) {
        String market = args[1];
        Map<String, String> o = new HashMap<>();
        for (int k = 2; k < args.length; k++) {
            String[] kv = args[k].split("=", 2);
            o.put(kv[0], kv[1]);
        }
        double at = Double.parseDouble(o.getOrDefault("at", "0.4"));
        double early = Double.parseDouble(o.getOrDefault("early", "0.15"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "20"));
        RowFitter.Options streaming = RowFitter.Options.streaming();
        RowFitter.Options fit = new RowFitter.Options(Integer.parseInt(o.getOrDefault("steps", "" + streaming.steps())),
                Double.parseDouble(o.getOrDefault("lr", "" + streaming.learningRate())), streaming.negatives(), streaming.seed());
        List<Interaction> all = new ArrayList<>(XMarketReader.strict().read(market, Path.of(args[0])).interactions());
        all.sort(Interaction::compareByTime);
        long d0 = all.get((int) (early * all.size())).epochDay();
        long d = all.get((int) (at * all.size())).epochDay();
        long d1 = all.get(Math.min(all.size() - 1, (int) ((at + 0.05) * all.size()))).epochDay();
        new FoldInProbe(market, all, fit).run(d0, d, d1, batch);
    }

    private final String market;
    private final List<Interaction> all;
    private final RowFitter.Options fit;
    private final UpdaterSettings s = UpdaterSettings.defaults();
    private final LeaveOneOutSplitter splitter = new LeaveOneOutSplitter(LeaveOneOutSplitter.DEFAULT_MIN_INTERACTIONS);

    private FoldInProbe(String market, List<Interaction> all, RowFitter.Options fit) {
        this.market = market;
        this.all = all;
        this.fit = fit;
    }

    private void run(long d0, long d, long d1, int batch) {
        List<Interaction> before = all.stream().filter(i -> i.epochDay() < d).toList();
        NcfModel own = train(before);
        NcfModel first = train(all.stream().filter(i -> i.epochDay() < d0).toList());
        MarketInput in = new MarketInput(market);
        Stream early = new Stream(first.copy(), in, batch);
        for (Interaction e : before) {
            early.add(e, e.epochDay() >= d0);
        }
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put("own", served(own));
        models.put("own+fold", served(foldAll(own, in)));
        models.put("early", served(first));
        models.put("early+fold", served(foldAll(first, in)));
        models.put("early+stream", served(early.model));
        List<HoldoutEvaluation.UserHoldout> holdouts = in.holdouts(s.minInteractions(), Integer.MAX_VALUE, s.seed());
        HoldoutEvaluation ev = new HoldoutEvaluation(s.seed(), s.evalNegatives());
        System.out.printf("%s: cut day %d, early day %d, next slice to day %d; %d interactions before the cut; %d fast-path "
                + "jobs of %d promotions; row fit %s; %d validation users%n", market, d, d0, d1, before.size(), early.jobs,
                batch, fit, holdouts.size());
        early.costs.sort(java.util.Comparator.comparingDouble(c -> c[0]));
        if (!early.costs.isEmpty()) {
            int n = early.costs.size();
            double[] p50 = early.costs.get((n - 1) / 2);
            double[] p99 = early.costs.get((int) Math.min(n - 1, Math.ceil(0.99 * n) - 1));
            System.out.printf("  fast-path jobs: median %.0f ms (%d users, %d items), p99 %.0f ms (%d users, %d items), "
                    + "mean %.1f users and %.1f items a job%n", 1e3 * p50[0], (int) p50[1], (int) p50[2], 1e3 * p99[0],
                    (int) p99[1], (int) p99[2], early.costs.stream().mapToDouble(c -> c[1]).average().orElse(0),
                    early.costs.stream().mapToDouble(c -> c[2]).average().orElse(0));
        }
        models.forEach((name, m) -> System.out.printf("  %-12s valid nDCG@10 %.4f%n", name,
                ev.evaluate(m, in.pool(), holdouts).valid().ndcg()));
        prequential(models, before, ev, d, d1, served(first));
    }

    /** Each interaction of [d, d1) ranked by every model and popularity, against negatives of the items seen before it. */
    private void prequential(Map<String, ServedModel> models, List<Interaction> before, HoldoutEvaluation ev, long d, long d1,
                             ServedModel base) {
        TreeSet<String> seen = new TreeSet<>();
        Map<String, List<String>> rated = new HashMap<>();
        Map<String, Integer> counts = new HashMap<>();
        for (Interaction i : before) {
            seen.add(i.item());
            rated.computeIfAbsent(i.user(), k -> new ArrayList<>()).add(i.item());
            counts.merge(i.item(), 1, Integer::sum);
        }
        Map<String, Double> sums = new LinkedHashMap<>();
        long[] above = new long[4]; // trained negatives, above; folded negatives, above
        long day = -1;
        String[] pool = null;
        int n = 0;
        for (Interaction i : all) {
            if (i.epochDay() < d || i.epochDay() >= d1) {
                continue;
            }
            if (i.epochDay() != day) {
                pool = seen.toArray(String[]::new);
                day = i.epochDay();
            }
            List<String> r = rated.computeIfAbsent(i.user(), k -> new ArrayList<>());
            r.add(i.item());
            String[] negs = ev.negativesNew(market, pool, i.user(), r, r.size());
            models.forEach((name, m) -> sums.merge(name,
                    RankingMetrics.ndcg(HoldoutEvaluation.rankAmong(m, i.user(), i.item(), negs), 10), Double::sum));
            float[] byCount = new float[negs.length + 1];
            byCount[0] = counts.getOrDefault(i.item(), 0);
            for (int k = 0; k < negs.length; k++) {
                byCount[k + 1] = counts.getOrDefault(negs[k], 0);
            }
            sums.merge("popularity", RankingMetrics.ndcg(RankingMetrics.pessimisticRank(byCount[0], byCount, 1, byCount.length),
                    10), Double::sum);
            above(models.get("early+stream"), base, i, negs, above);
            seen.add(i.item());
            n++;
        }
        for (Map.Entry<String, Double> e : sums.entrySet()) {
            System.out.printf("  %-12s prequential nDCG@10 %.4f over %d interactions%n", e.getKey(), e.getValue() / n, n);
        }
        System.out.printf("  early+stream, interactions of a known user and item: negatives the early model trained above "
                + "the item %.3f of %d, negatives folded in above it %.3f of %d%n", (double) above[1] / above[0], above[0],
                (double) above[3] / above[2], above[2]);
    }

    /** Counts the negatives {@code m} scores at or above the interaction's item, by whether {@code base} had them. */
    private static void above(ServedModel m, ServedModel base, Interaction i, String[] negs, long[] out) {
        int u = m.users().indexOf(i.user());
        int item = m.items().indexOf(i.item());
        if (u < 0 || item < 0) {
            return;
        }
        List<Integer> rows = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        rows.add(item);
        for (String x : negs) {
            int r = m.items().indexOf(x);
            if (r >= 0) {
                rows.add(r);
                trained.add(base.items().indexOf(x) >= 0);
            }
        }
        float[] sc = m.score(u, rows.stream().mapToInt(Integer::intValue).toArray());
        for (int k = 1; k < sc.length; k++) {
            int at = trained.get(k - 1) ? 0 : 2;
            out[at]++;
            out[at + 1] += sc[k] >= sc[0] ? 1 : 0;
        }
    }

    private NcfModel train(List<Interaction> interactions) {
        MarketSplit split = splitter.split(market, interactions);
        return Recipes.trainChain(Choice.BASELINE, CrossMarketDataset.of(List.of(split)), TrainingSettings.defaults(),
                s.evalNegatives(), line -> { }).get(Choice.BASELINE).model();
    }

    /** {@code m} brought to what {@code in} holds by one fold, as an install prepares a model: every user re-fitted, new items folded in. */
    private NcfModel foldAll(NcfModel m, MarketInput in) {
        MarketRows rows = catalogueOf(m, in);
        Map<String, Integer> later = new HashMap<>();
        in.trainCounts.forEach((i, c) -> {
            if (m.items().indexOf(i) < 0) {
                later.put(i, c);
            }
        });
        Map<String, List<String>> items = new LinkedHashMap<>();
        later.keySet().forEach(i -> items.put(i, in.buyers.get(i)));
        return rows.fold(m.copy(), market, fit, in.itemsOf(in.users.keySet()), items, new ArrayList<>(in.catalogue), later)
                .model();
    }

    /** The catalogue beside {@code m} as an install sets it: the items it has rows for, with what {@code in} counted. */
    private static MarketRows catalogueOf(NcfModel m, MarketInput in) {
        Map<String, Integer> known = new HashMap<>();
        in.trainCounts.forEach((i, c) -> {
            if (m.items().indexOf(i) >= 0) {
                known.put(i, c);
            }
        });
        MarketRows rows = new MarketRows();
        rows.reset(m, new ArrayList<>(known.keySet()), known);
        return rows;
    }

    private ServedModel served(NcfModel m) {
        return MarketModels.served(market, m, ModelMeta.builder(market, 0, 0).provenance("{}").build(), new int[0], new int[0]);
    }

    /** The fast path over a stream of events: each user's rolling holdout, a fold every {@code batch} promotions. */
    private final class Stream {
        NcfModel model;
        final MarketInput in;
        final int batch;
        final Map<String, RollingHoldout> holdouts = new HashMap<>();
        final Set<String> users = new LinkedHashSet<>();
        MarketRows rows;
        List<String> sold = new ArrayList<>();
        Map<String, Integer> popularity = new HashMap<>();
        int promoted;
        int jobs;
        long seq;
        /** Each job's seconds, users and items re-fitted (what a fast-path job costs in this market). */
        final List<double[]> costs = new ArrayList<>();

        Stream(NcfModel model, MarketInput in, int batch) {
            this.model = model;
            this.in = in;
            this.batch = batch;
        }

        /** One event; {@code live}: after the early model's data, where the fast path runs. */
        void add(Interaction e, boolean live) {
            RollingHoldout h = holdouts.computeIfAbsent(e.user(), k -> new RollingHoldout());
            RollingHoldout.Update up = h.add(e);
            if (up.promoted() != null) {
                Interaction t = up.promoted();
                if (in.train(new MarketInput.Entry(e.user(), t.item(), t.rating(), t.epochDay() * 86_400_000L, 0, "0", seq++))) {
                    sold.add(t.item());
                }
                popularity.merge(t.item(), 1, Integer::sum);
                if (live) {
                    users.add(e.user());
                    promoted++;
                }
            }
            if (up.holdoutChanged()) {
                Interaction v = h.validation().orElse(null);
                Interaction t = h.test().orElseThrow();
                sold.addAll(in.holdout(e.user(), v == null ? null : v.item(), v == null ? 0 : v.epochDay() * 86_400_000L,
                        t.item(), t.epochDay() * 86_400_000L, h.size()));
            }
            if (!live) {
                return;
            }
            if (rows == null) { // the install: the catalogue of the model's data
                rows = catalogueOf(model, in);
                sold = new ArrayList<>();
                popularity = new HashMap<>();
            }
            if (promoted >= batch) {
                Map<String, List<String>> job = in.itemsOf(users);
                NcfModel m = model;
                Map<String, List<String>> items = in.itemsToFit(job, i -> m.items().indexOf(i) >= 0
                        && !rows.itemDue(i, in.trainCounts.getOrDefault(i, 0)));
                long t0 = System.nanoTime();
                model = rows.fold(model, market, fit, job, items, sold, popularity).model();
                costs.add(new double[] {(System.nanoTime() - t0) / 1e9, job.size(), items.size()});
                users.clear();
                sold = new ArrayList<>();
                popularity = new HashMap<>();
                promoted = 0;
                jobs++;
            }
        }
    }
}
