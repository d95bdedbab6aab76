package io.xmrec.model.recipe;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.metrics.OfflineEvaluator;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.metrics.Scorer;
import io.xmrec.core.sampling.EvaluationNegatives;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which recipe a market is served with, chosen on the validation items of half its users (never on
 * test; early stopping watches the other half, {@link #decides}): the single-market NMF is the baseline, and a transfer recipe replaces it only when its validation
 * nDCG@10 is higher by more than {@code margin} standard errors of the paired (per-user)
 * difference. Validation of a thin market is noisy (a few hundred users: a paired 95% interval of
 * +-0.02-0.03 nDCG), so the best mean alone would often pick a recipe that is worse on test; the
 * margin keeps the baseline unless the evidence for another is clear. Among the recipes that pass,
 * the one whose lead is surest is served: the highest lower bound {@code diff - margin * se}, so of
 * two recipes with about the same mean the one that leads on more users wins (the highest mean alone
 * once served a market's noisier candidate by 0.0006 over a steadier one that was 0.036 better on
 * test). With no margin that is the highest mean. Offline ({@code --method auto}) and the continual
 * updater (at every trunk) use this one rule.
 *
 * @param method    the recipe chosen
 * @param baseline  the recipe kept unless another passes the rule
 * @param margin    the margin in standard errors of the paired difference
 * @param users     the validation users compared
 * @param candidates each candidate's validation nDCG@10 and its paired difference to the baseline
 */
public record Choice(String method, String baseline, double margin, int users, Map<String, Candidate> candidates) {

    /** The method name of the per-market choice, offline and in the updater. */
    public static final String AUTO = "auto";

    /** The recipe whose chain a choice trains for its transfer candidates (its shared stages and its fork). */
    public static final String TRUNK = "forec";

    /** The baseline every choice starts from: the market's own model. */
    public static final String BASELINE = "nmf";

    /** The default margin: one standard error (a one-sided test at about 84%). */
    public static final double DEFAULT_MARGIN = 1.0;

    /**
     * The recipes a choice considers, when trained: the single-market networks and the cross-market
     * ones (the ++ stages, FOREC and its NMF++ fork, the market-aware models, NMF++ fine-tuned on the market and
     * its mean with the market's own NMF), and the mean of two own NMFs (no source, on a par with the mean
     * that has one). MAML's own model is a trunk, not a served recipe.
     */
    public static final List<String> CANDIDATES = List.of("nmf", "gmf", "mlp", "nmf++", "gmf++", "mlp++", "forec",
            "nmf-forec", "nmf++-ft", "ma-gmf", "ma-mlp", "ma-nmf", "nmf+nmf++-ft", "nmf+nmf");

    /**
     * Every stage a choice trains for its cross-market candidates, inputs first: the {@link #TRUNK}'s
     * chain, the market-aware chain (shared across markets like the ++ stages) and NMF++ fine-tuned on
     * each market.
     */
    public static List<String> crossMarketChain() {
        List<String> out = new ArrayList<>();
        for (String last : List.of(TRUNK, "ma-nmf", "nmf++-ft")) {
            Recipes.chain(last).stream().filter(s -> !out.contains(s)).forEach(out::add);
        }
        return out;
    }

    /**
     * A candidate on validation.
     *
     * @param validNdcg mean validation nDCG@10
     * @param diff      mean paired difference to the baseline (0 for the baseline)
     * @param se        standard error of that difference
     */
    public record Candidate(double validNdcg, double diff, double se) {
        /** Whether it beats the baseline by the margin. */
        boolean passes(double margin) {
            return bound(margin) > 0;
        }

        /** The lower bound of its lead over the baseline: the mean paired difference less the margin's standard errors. */
        double bound(double margin) {
            return diff - margin * se;
        }
    }

    /** Each user's validation nDCG@10 of a scorer on a market (user id to value). */
    public static Map<String, Double> perUser(Scorer scorer, IndexedMarket m, IdVocabulary items,
                                              EvaluationNegatives negatives) {
        return perUser(m, OfflineEvaluator.validationRanks(scorer, m, items, negatives));
    }

    /** Users' validation nDCG@10 from their ranks, by the market's user rows. */
    public static Map<String, Double> perUser(IndexedMarket m, int[] ranks) {
        List<String> users = new ArrayList<>(m.users());
        for (int r = 0; r < m.users(); r++) {
            users.add(m.userId(r));
        }
        return perUser(users, ranks);
    }

    /** Users' validation nDCG@10 from their ranks, the users in the order of the ranks. */
    public static Map<String, Double> perUser(List<String> users, int[] ranks) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int r = 0; r < ranks.length; r++) {
            out.put(users.get(r), RankingMetrics.ndcg(ranks[r], 10));
        }
        return out;
    }

    /**
     * Whether a user's validation item is one the choice is made on: half of every market's users, by a
     * hash of market and user id (stable across runs and machines). Early stopping watches the other
     * half ({@link Validation}), so no candidate's validation figure here was picked by its own training.
     */
    public static boolean decides(String market, String user) {
        long h = (market + "/" + user).hashCode() * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (h & 1) == 1;
    }

    /**
     * Chooses for a market among candidates (recipe name to each user's validation nDCG@10, the same
     * users for every one) on the users that {@link #decides} names: the baseline {@link #BASELINE}
     * unless another passes the margin.
     */
    public static Choice of(String market, Map<String, Map<String, Double>> candidates, double margin) {
        Map<String, Map<String, Double>> deciding = new LinkedHashMap<>();
        candidates.forEach((k, v) -> {
            Map<String, Double> d = new LinkedHashMap<>();
            v.forEach((u, x) -> {
                if (decides(market, u)) {
                    d.put(u, x);
                }
            });
            deciding.put(k, d);
        });
        return of(deciding, margin);
    }

    /**
     * Chooses among candidates (recipe name to each user's validation nDCG@10, the same users for
     * every one) on every user given: the baseline {@link #BASELINE} unless another passes the margin.
     */
    public static Choice of(Map<String, Map<String, Double>> candidates, double margin) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate to choose from");
        }
        if (!(margin >= 0)) {
            throw new IllegalArgumentException("the choice's margin must be >= 0 standard errors, got " + margin);
        }
        TreeSet<String> common = null;
        for (Map<String, Double> v : candidates.values()) {
            if (common == null) {
                common = new TreeSet<>(v.keySet());
            } else {
                common.retainAll(v.keySet());
            }
        }
        int n = common.size();
        String baseline = candidates.containsKey(BASELINE) ? BASELINE : candidates.keySet().iterator().next();
        Map<String, Double> base = candidates.get(baseline);
        Map<String, Candidate> out = new LinkedHashMap<>();
        String best = baseline;
        double bestBound = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Map<String, Double>> e : candidates.entrySet()) {
            double sum = 0;
            double diffSum = 0;
            for (String u : common) {
                sum += e.getValue().get(u);
                diffSum += e.getValue().get(u) - base.get(u);
            }
            double mean = n == 0 ? Double.NaN : sum / n;
            double diff = n == 0 ? 0 : diffSum / n;
            double ss = 0;
            for (String u : common) {
                double d = e.getValue().get(u) - base.get(u) - diff;
                ss += d * d;
            }
            double se = n < 2 ? Double.POSITIVE_INFINITY : Math.sqrt(ss / (n - 1) / n);
            Candidate c = new Candidate(mean, diff, e.getKey().equals(baseline) ? 0 : se);
            out.put(e.getKey(), c);
            if (!e.getKey().equals(baseline) && c.passes(margin) && c.bound(margin) > bestBound) {
                best = e.getKey();
                bestBound = c.bound(margin);
            }
        }
        return new Choice(best, baseline, margin, n, out);
    }

    /** The choice as a JSON-ready map (for the provenance of served models and the offline results). */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("baseline", baseline);
        m.put("margin_se", margin);
        m.put("users", users);
        Map<String, Object> cs = new LinkedHashMap<>();
        candidates.forEach((k, c) -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("valid_ndcg10", round(c.validNdcg()));
            v.put("diff", round(c.diff()));
            v.put("se", round(c.se()));
            cs.put(k, v);
        });
        m.put("candidates", cs);
        return m;
    }

    /** One line: what was chosen and by how much. */
    public String summary() {
        StringBuilder b = new StringBuilder(method);
        Candidate c = candidates.get(method);
        if (!method.equals(baseline)) {
            b.append(String.format(java.util.Locale.ROOT, " (valid nDCG@10 %.4f, %+.4f +- %.4f se over %s)",
                    c.validNdcg(), c.diff(), c.se(), baseline));
        } else {
            b.append(String.format(java.util.Locale.ROOT, " (valid nDCG@10 %.4f; no candidate above it by %.1f se)",
                    c.validNdcg(), margin));
        }
        b.append(" on ").append(users).append(" users; candidates:");
        candidates.forEach((k, v) -> b.append(String.format(java.util.Locale.ROOT, " %s %.4f", k, v.validNdcg())));
        return b.toString();
    }

    /** Six decimals; null where undefined (fewer than two users), as JSON has no NaN. */
    private static Double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null;
    }
}
