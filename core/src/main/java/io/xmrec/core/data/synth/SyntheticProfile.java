package io.xmrec.core.data.synth;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The shape of a set of markets, fitted to review files, that {@link SyntheticMarkets} draws new
 * data from: per market the users, catalogue, user activity (quantiles of interactions per user),
 * the spread of item popularity (the standard deviation of log popularity that gives the file's
 * share of interactions on its top tenth of items), ratings, the review dates and how long a user
 * stays; across markets the number of markets an item is sold in, how much more popular widely
 * sold items are, and how alike an item's popularity is between markets. The fit and the same
 * statistics of generated data are what the comparison table in docs/synthetic-data.md shows.
 *
 * @param markets       per market, in order
 * @param reachShares   share of items sold in 1, 2, ..., M markets (M = number of fitted markets)
 * @param reachLift     mean log popularity gained per log(markets the item is sold in)
 * @param popCorrelation correlation of log popularity of one item between two markets (mean over pairs)
 * @param groups        latent item groups at scale 1 (not observable in files: chosen, see the docs); the
 *                      groups grow with the catalogue, so a group keeps its size at any scale
 * @param concentration Dirichlet concentration of a user's preference over (a window of) the groups
 */
public record SyntheticProfile(Map<String, MarketShape> markets, double[] reachShares, double reachLift,
                               double popCorrelation, int groups, double concentration, Latent latent) {

    /**
     * What the generator draws with, found by simulation so that generated files show the fitted
     * statistics (observed counts are noisier than the popularity behind them: the correlation between
     * markets and the top tenth's share come out lower than the latent values that produce them).
     *
     * @param logPopSd    per market, the spread of latent log popularity
     * @param popMix      per market, how predictable by all-time popularity reviews are: below 1, items are on
     *                    sale for that share of the market's years (popularity moves on); above 1, items are on
     *                    sale all along and a share {@code popMix - 1} of reviews is drawn by popularity alone
     * @param correlation the latent correlation of log popularity between markets
     * @param lift        the latent lift of log popularity per log(markets sold in)
     */
    public record Latent(Map<String, Double> logPopSd, Map<String, Double> popMix, double correlation, double lift) {
    }

    /** The probabilities at which quantiles are kept: every 5%, and finer in the upper tail. */
    static final double[] PROBS = {0, .05, .1, .15, .2, .25, .3, .35, .4, .45, .5, .55, .6, .65, .7, .75, .8, .85, .9, .95,
            .975, .99, .995, .999, 1};

    /** Fifths of first-review dates, each with its own spans. */
    static final int START_BINS = 5;

    /** The groups the generator uses unless told otherwise (chosen on NMF against popularity: docs/synthetic-data.md). */
    public static final int DEFAULT_GROUPS = 128;
    public static final double DEFAULT_CONCENTRATION = 0.02;

    /** The profile fitted to the public XMarket Electronics files, shipped with xmrec. */
    public static SyntheticProfile xmarketElectronics() {
        try (InputStream in = SyntheticProfile.class.getResourceAsStream("xmarket-electronics.profile")) {
            if (in == null) {
                throw new IllegalStateException("the XMarket Electronics profile is missing from the build");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fits a profile to markets read from files. */
    public static SyntheticProfile fit(Collection<MarketData> data) {
        Map<String, MarketShape> shapes = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> pops = new LinkedHashMap<>();
        for (MarketData md : data) {
            Map<String, Integer> perUser = new HashMap<>();
            Map<String, Integer> perItem = new HashMap<>();
            Map<String, long[]> userDays = new HashMap<>();
            double[] ratings = new double[5];
            double[] days = new double[md.interactions().size()];
            int n = 0;
            for (Interaction x : md.interactions()) {
                perUser.merge(x.user(), 1, Integer::sum);
                perItem.merge(x.item(), 1, Integer::sum);
                long[] d = userDays.computeIfAbsent(x.user(), u -> new long[]{Long.MAX_VALUE, Long.MIN_VALUE});
                d[0] = Math.min(d[0], x.epochDay());
                d[1] = Math.max(d[1], x.epochDay());
                int r = Math.max(1, Math.min(5, Math.round(x.rating())));
                ratings[r - 1]++;
                days[n++] = x.epochDay();
            }
            for (int i = 0; i < 5; i++) {
                ratings[i] /= Math.max(1, n);
            }
            double[] degree = perUser.values().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] span = userDays.values().stream().mapToDouble(d -> d[1] - d[0]).toArray();
            double[] first = userDays.values().stream().mapToDouble(d -> d[0]).toArray();
            // spans per fifth of first-review dates: late starters stay for less time
            List<long[]> byStart = new ArrayList<>(userDays.values());
            byStart.sort((x, y) -> Long.compare(x[0], y[0]));
            double[][] spanByStart = new double[START_BINS][];
            for (int b = 0; b < START_BINS; b++) {
                List<long[]> part = byStart.subList(b * byStart.size() / START_BINS, (b + 1) * byStart.size() / START_BINS);
                spanByStart[b] = quantiles(part.stream().mapToDouble(d -> d[1] - d[0]).toArray());
            }
            double top10 = top10Share(perItem.values().stream().mapToDouble(Integer::doubleValue).toArray());
            shapes.put(md.market(), new MarketShape(perUser.size(), perItem.size(), n, quantiles(degree),
                    new MarketShape.Popularity(logSdForShare(top10), top10, popularityNdcg(md)), ratings,
                    new MarketShape.Time(quantiles(days), quantiles(first), quantiles(span), spanByStart)));
            pops.put(md.market(), perItem);
        }
        // across markets: how many markets sell an item, and how its popularity relates to that
        Map<String, Integer> reach = new HashMap<>();
        for (Map<String, Integer> p : pops.values()) {
            for (String item : p.keySet()) {
                reach.merge(item, 1, Integer::sum);
            }
        }
        int m = Math.max(1, pops.size());
        double[] reachShares = new double[m];
        for (int k : reach.values()) {
            reachShares[k - 1]++;
        }
        for (int k = 0; k < m; k++) {
            reachShares[k] /= Math.max(1, reach.size());
        }
        // least squares of an item's log popularity in a market (standardised per market) on log(reach)
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        long count = 0;
        for (Map.Entry<String, Map<String, Integer>> e : pops.entrySet()) {
            double[] logs = e.getValue().values().stream().mapToDouble(Math::log).toArray();
            double mean = Arrays.stream(logs).average().orElse(0);
            double sd = Math.sqrt(Arrays.stream(logs).map(v -> (v - mean) * (v - mean)).average().orElse(1));
            for (Map.Entry<String, Integer> it : e.getValue().entrySet()) {
                double x = Math.log(reach.get(it.getKey()));
                double y = (Math.log(it.getValue()) - mean) / Math.max(sd, 1e-9);
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
                count++;
            }
        }
        double lift = count < 2 ? 0 : (count * sxy - sx * sy) / Math.max(1e-12, count * sxx - sx * sx);
        // correlation of log popularity over the items two markets share, averaged over pairs
        List<String> names = new ArrayList<>(pops.keySet());
        double corrSum = 0;
        int pairs = 0;
        for (int a = 0; a < names.size(); a++) {
            for (int b = a + 1; b < names.size(); b++) {
                Map<String, Integer> pa = pops.get(names.get(a));
                Map<String, Integer> pb = pops.get(names.get(b));
                List<double[]> xy = new ArrayList<>();
                for (Map.Entry<String, Integer> it : pa.entrySet()) {
                    Integer other = pb.get(it.getKey());
                    if (other != null) {
                        xy.add(new double[]{Math.log(it.getValue()), Math.log(other)});
                    }
                }
                if (xy.size() >= 10) {
                    corrSum += pearson(xy);
                    pairs++;
                }
            }
        }
        double corr = pairs == 0 ? 0.5 : corrSum / pairs;
        Map<String, Double> sd = new LinkedHashMap<>();
        Map<String, Double> background = new LinkedHashMap<>();
        shapes.forEach((market, sh) -> {
            sd.put(market, sh.logPopSd());
            background.put(market, 1.0);
        });
        return new SyntheticProfile(shapes, reachShares, lift, corr, DEFAULT_GROUPS, DEFAULT_CONCENTRATION,
                new Latent(sd, background, corr, lift));
    }

    /**
     * Fits a profile, then adjusts its latent parameters by simulation: generate at scale 1, measure
     * the same statistics, move each latent value by the ratio of target to measured, {@code rounds}
     * times, damped (the method of simulated moments, with one fixed seed).
     */
    public static SyntheticProfile fitBySimulation(Collection<MarketData> data, int rounds, Consumer<String> log) {
        return fitBySimulation(data, rounds, log, p -> p);
    }

    /** As above, with the latent structure (groups, background) set by {@code structure} before the simulation. */
    public static SyntheticProfile fitBySimulation(Collection<MarketData> data, int rounds, Consumer<String> log,
                                                   java.util.function.UnaryOperator<SyntheticProfile> structure) {
        SyntheticProfile target = structure.apply(fit(data));
        SyntheticProfile p = target;
        for (int r = 0; r < rounds; r++) {
            SyntheticProfile seen = fit(SyntheticMarkets.generate(p, new SyntheticMarkets.Options(
                    new ArrayList<>(p.markets().keySet()), 1, 1, 20261205L)).values());
            Map<String, Double> sd = new LinkedHashMap<>();
            Map<String, Double> background = new LinkedHashMap<>();
            double worst = 0;
            double worstPop = 0;
            for (Map.Entry<String, MarketShape> e : target.markets().entrySet()) {
                MarketShape got = seen.markets().get(e.getKey());
                double want = e.getValue().logPopSd();
                double ratio = want / Math.max(1e-6, got.logPopSd());
                worst = Math.max(worst, Math.abs(e.getValue().top10Share() - got.top10Share()));
                worstPop = Math.max(worstPop, Math.abs(e.getValue().popNdcg() - got.popNdcg()));
                sd.put(e.getKey(), p.latent().logPopSd().get(e.getKey()) * Math.pow(ratio, 0.7));
                background.put(e.getKey(), clamp(p.latent().popMix().get(e.getKey())
                        + 2 * (e.getValue().popNdcg() - got.popNdcg()), 0.05, 1.95));
            }
            double corr = clamp(p.latent().correlation() + 0.7 * (target.popCorrelation() - seen.popCorrelation()), 0, 0.99);
            double lift = Math.max(0, p.latent().lift() * Math.pow(target.reachLift() / Math.max(1e-6, seen.reachLift()), 0.7));
            log.accept(String.format(Locale.ROOT, "fit round %d: top-10%% share off by up to %.3f, popularity nDCG@10 "
                    + "by up to %.3f, correlation %.3f (want %.3f), lift %.3f (want %.3f)", r + 1, worst, worstPop,
                    seen.popCorrelation(), target.popCorrelation(), seen.reachLift(), target.reachLift()));
            p = new SyntheticProfile(target.markets(), target.reachShares(), target.reachLift(), target.popCorrelation(),
                    target.groups(), target.concentration(), new Latent(sd, background, corr, lift));
        }
        return p;
    }

    private static double clamp(double x, double lo, double hi) {
        return Math.max(lo, Math.min(hi, x));
    }

    /** The shape the generator uses for a market: its own when fitted, else the fitted ones in turn. */
    public MarketShape shapeFor(String market, int position) {
        return inTurn(markets, market, position);
    }

    /** A market's own value, or for a market the profile lacks the fitted markets' values in turn. */
    private static <T> T inTurn(Map<String, T> byMarket, String market, int position) {
        T own = byMarket.get(market);
        if (own != null) {
            return own;
        }
        List<T> all = new ArrayList<>(byMarket.values());
        return all.get(position % all.size());
    }

    /** The same profile with another latent structure (for tuning it against the real files). */
    public SyntheticProfile withGroups(int groups, double concentration) {
        return new SyntheticProfile(markets, reachShares, reachLift, popCorrelation, groups, concentration, latent);
    }

    /** How a market's reviews mix popularity and time ({@link Latent#popMix}; see {@link #shapeFor}). */
    public double latentPopMix(String market, int position) {
        return inTurn(latent.popMix(), market, position);
    }

    /**
     * Popularity's test nDCG@10 under the protocol: per user the last review by date is the test
     * item and the one before it validation; items are ranked by their training count against 99
     * items the user never reviewed (a fixed seed), ties ranking the test item last.
     */
    static double popularityNdcg(MarketData md) {
        Map<String, List<Interaction>> byUser = new HashMap<>();
        for (Interaction x : md.interactions()) {
            byUser.computeIfAbsent(x.user(), u -> new ArrayList<>()).add(x);
        }
        Map<String, Integer> count = new HashMap<>();
        Map<String, Interaction> test = new HashMap<>();
        for (Map.Entry<String, List<Interaction>> e : byUser.entrySet()) {
            List<Interaction> xs = e.getValue();
            if (xs.size() < 3) {
                continue;
            }
            xs.sort(Interaction::compareByTime);
            test.put(e.getKey(), xs.get(xs.size() - 1));
            for (int i = 0; i < xs.size() - 2; i++) {
                count.merge(xs.get(i).item(), 1, Integer::sum);
            }
        }
        List<String> items = new ArrayList<>(new java.util.TreeSet<>(md.interactions().stream().map(Interaction::item)
                .toList()));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        double sum = 0;
        int n = 0;
        for (String user : new java.util.TreeSet<>(test.keySet())) {
            Set<String> rated = new HashSet<>();
            byUser.get(user).forEach(x -> rated.add(x.item()));
            if (items.size() - rated.size() < 99) {
                continue;
            }
            int mine = count.getOrDefault(test.get(user).item(), 0);
            int above = 0;
            Set<String> drawn = new HashSet<>();
            while (drawn.size() < 99) {
                String neg = items.get(rnd.nextInt(items.size()));
                if (!rated.contains(neg) && drawn.add(neg) && count.getOrDefault(neg, 0) >= mine) {
                    above++;
                }
            }
            sum += above < 10 ? 1 / (Math.log(above + 2) / Math.log(2)) : 0;
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    /** The latent spread of log popularity the generator uses for a market (see {@link #shapeFor}). */
    public double latentLogPopSd(String market, int position) {
        return inTurn(latent.logPopSd(), market, position);
    }

    static double top10Share(double[] counts) {
        double[] c = counts.clone();
        Arrays.sort(c);
        double total = Arrays.stream(c).sum();
        int top = Math.max(1, c.length / 10);
        double s = 0;
        for (int i = c.length - top; i < c.length; i++) {
            s += c[i];
        }
        return total == 0 ? 0 : s / total;
    }

    /**
     * The standard deviation of a normal log popularity whose top tenth holds {@code share} of the
     * expected interactions: for weights e^(sd Z), the top tenth (Z > z90) holds 1 - Phi(z90 - sd)
     * of the mass, so sd = z90 - Phi^-1(1 - share).
     */
    static double logSdForShare(double share) {
        double s = Math.min(0.999, Math.max(0.1001, share));
        return Math.max(0, Normal.quantile(0.9) - Normal.quantile(1 - s));
    }

    static double[] quantiles(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        double[] q = new double[PROBS.length];
        for (int i = 0; i < PROBS.length; i++) {
            if (v.length == 0) {
                continue;
            }
            double pos = (v.length - 1) * PROBS[i];
            int lo = (int) Math.floor(pos);
            int hi = Math.min(v.length - 1, lo + 1);
            q[i] = v[lo] + (v[hi] - v[lo]) * (pos - lo);
        }
        return q;
    }

    /** The quantile at probability {@code u} of the piecewise-linear distribution the quantiles describe. */
    static double draw(double[] quantiles, double u) {
        int i = java.util.Arrays.binarySearch(PROBS, u);
        if (i >= 0) {
            return quantiles[i];
        }
        int hi = Math.min(PROBS.length - 1, -i - 1);
        int lo = hi - 1;
        return quantiles[lo] + (quantiles[hi] - quantiles[lo]) * (u - PROBS[lo]) / (PROBS[hi] - PROBS[lo]);
    }

    /** The probability below {@code x} in the same distribution (the inverse of {@link #draw}). */
    static double cdf(double[] quantiles, double x) {
        if (x <= quantiles[0]) {
            return 0;
        }
        for (int i = 1; i < quantiles.length; i++) {
            if (x <= quantiles[i]) {
                double w = quantiles[i] - quantiles[i - 1];
                return PROBS[i - 1] + (w == 0 ? 0 : (x - quantiles[i - 1]) / w) * (PROBS[i] - PROBS[i - 1]);
            }
        }
        return 1;
    }

    private static double pearson(List<double[]> xy) {
        double mx = xy.stream().mapToDouble(p -> p[0]).average().orElse(0);
        double my = xy.stream().mapToDouble(p -> p[1]).average().orElse(0);
        double sxy = 0, sxx = 0, syy = 0;
        for (double[] p : xy) {
            sxy += (p[0] - mx) * (p[1] - my);
            sxx += (p[0] - mx) * (p[0] - mx);
            syy += (p[1] - my) * (p[1] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    }

    /** The profile as text (what the shipped resource holds): {@link ProfileText}. */
    public String format() {
        return ProfileText.format(this);
    }

    /** Reads the text form; a bad line is an error naming its number. */
    public static SyntheticProfile parse(String text) {
        return ProfileText.parse(text);
    }

    /** Markets named in both profiles, for side-by-side tables. */
    public static Set<String> common(SyntheticProfile a, SyntheticProfile b) {
        Set<String> s = new HashSet<>(a.markets().keySet());
        s.retainAll(b.markets().keySet());
        return s;
    }
}
