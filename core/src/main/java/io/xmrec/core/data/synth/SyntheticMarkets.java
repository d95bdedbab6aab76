package io.xmrec.core.data.synth;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes XMarket-format files of new synthetic markets, drawn from a {@link SyntheticProfile} at
 * any scale. Items are shared across markets (each is sold in as many markets as the profile's
 * reach distribution says, widely sold items more popular), users are not. Each item belongs to
 * one of many latent groups on a ring; a user's preference over a window of the ring is a sparse
 * Dirichlet draw, so that models have something to learn beyond popularity; within a group items
 * are drawn by the market's popularity, which is correlated between markets as fitted. The number
 * of groups grows with the catalogue (a group keeps its size at any scale) while the window a user
 * draws from stays as wide as the ring at scale 1. Ratings, review dates and user spans
 * follow the market's fitted distributions; lines are written in random order, as the real files are.
 */
public final class SyntheticMarkets {

    /**
     * What to generate.
     *
     * @param markets   market codes (a code the profile has uses its own shape; others take the fitted ones in turn)
     * @param scale     users (and so interactions) per market, times the profile's
     * @param itemScale catalogue size per market, times the profile's
     * @param seed      everything is a function of the seed
     */
    public record Options(List<String> markets, double scale, double itemScale, long seed) {
        public Options {
            if (markets.isEmpty()) {
                throw new IllegalArgumentException("no market to generate");
            }
            markets.forEach(Markets::requireValid);
            if (!(scale > 0) || !(itemScale > 0) || scale > 1e5 || itemScale > 1e5) {
                throw new IllegalArgumentException("--scale and --item-scale must be in (0, 100000], got " + scale + " and "
                        + itemScale);
            }
        }
    }

    /** What was written for one market. */
    public record Written(String market, Path file, long users, long items, long interactions) {
    }

    private SyntheticMarkets() {
    }

    /**
     * Generates and writes {@code <market>_5core.txt} per market into {@code dir} (each written to a
     * temporary file first, then moved into place).
     */
    public static List<Written> write(SyntheticProfile profile, Options o, Path dir, Consumer<String> log) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Catalogue cat = Catalogue.draw(profile, o);
        List<Written> out = new ArrayList<>();
        for (int m = 0; m < o.markets().size(); m++) {
            String market = o.markets().get(m);
            long t0 = System.nanoTime();
            Written w = generateMarket(profile, o, cat, m).write(dir.resolve(Markets.fileName(market)));
            log.accept(String.format(java.util.Locale.ROOT, "synth: %s: %,d users, %,d items, %,d interactions in %.1fs -> %s",
                    market, w.users(), w.items(), w.interactions(), (System.nanoTime() - t0) / 1e9, w.file()));
            if (w.interactions() < 2 * w.items()) {
                log.accept(String.format(java.util.Locale.ROOT, "synth: warning: %s has %.1f reviews per item (%,d for "
                        + "%,d items): most items are reviewed once, so a model has nothing to learn about them and "
                        + "rankings over them are noise; raise --scale (users) or lower --item-scale", market,
                        (double) w.interactions() / w.items(), w.interactions(), w.items()));
            }
            out.add(w);
        }
        return out;
    }

    /** The items of every market with their latent group and popularity weight, shared by all markets. */
    private record Catalogue(int[] topic, int[][] marketItems, double[][] marketWeights) {

        static Catalogue draw(SyntheticProfile p, Options o) {
            SplittableRandom rnd = new SplittableRandom(o.seed() ^ 0x5EEDCA7A10L);
            int n = o.markets().size();
            int fitted = p.reachShares().length;
            long[] capacity = new long[n];
            long slots = 0;
            for (int m = 0; m < n; m++) {
                capacity[m] = Math.max(10, Math.round(p.shapeFor(o.markets().get(m), m).items() * o.itemScale()));
                slots += capacity[m];
            }
            // reach of an item: as fitted, at most every market
            double[] cum = Draws.cumulative(p.reachShares());
            double meanReach = 0;
            for (int k = 1; k <= fitted; k++) {
                meanReach += p.reachShares()[k - 1] * rescale(k, fitted, n);
            }
            int items = (int) Math.min(Integer.MAX_VALUE - 8, Math.ceil(slots / Math.max(1e-9, meanReach)));
            int[] reach = new int[items];
            double logMean = 0;
            for (int i = 0; i < items; i++) {
                reach[i] = rescale(Draws.pick(cum, rnd.nextDouble()) + 1, fitted, n);
                logMean += Math.log(reach[i]);
            }
            logMean /= items;
            double logVar = 0;
            for (int i = 0; i < items; i++) {
                logVar += Math.pow(Math.log(reach[i]) - logMean, 2);
            }
            logVar /= items;
            // standardised log popularity = lift * (log reach - mean) + shared part + market part, over its sd
            double lift = p.latent().lift();
            double l = lift * lift * logVar;
            double shared = Math.max(0, Math.min(1, p.latent().correlation() * (1 + l) - l));
            double norm = Math.sqrt(1 + l);
            int groups = groupCount(p, o);
            int[] topic = new int[items];
            double[] common = new double[items];
            for (int i = 0; i < items; i++) {
                topic[i] = rnd.nextInt(groups);
                common[i] = lift * (Math.log(reach[i]) - logMean) + Math.sqrt(shared) * Draws.gaussian(rnd);
            }
            // each item goes to `reach` distinct markets, drawn by the capacity they have left
            int[][] members = new int[n][];
            int[] filled = new int[n];
            for (int m = 0; m < n; m++) {
                members[m] = new int[(int) Math.min(Integer.MAX_VALUE - 8, capacity[m] * 2 + 16)];
            }
            double[] w = new double[n];
            for (int i = 0; i < items; i++) {
                for (int m = 0; m < n; m++) {
                    w[m] = Math.max(0, capacity[m] - filled[m]) + 1e-3;
                }
                for (int k = 0; k < reach[i]; k++) {
                    double total = 0;
                    for (double x : w) {
                        total += x;
                    }
                    double u = rnd.nextDouble() * total;
                    int m = 0;
                    while (m < n - 1 && (u -= w[m]) > 0) {
                        m++;
                    }
                    if (filled[m] == members[m].length) {
                        members[m] = Arrays.copyOf(members[m], members[m].length * 2);
                    }
                    members[m][filled[m]++] = i;
                    w[m] = 0; // distinct markets
                }
            }
            int[][] marketItems = new int[n][];
            double[][] marketWeights = new double[n][];
            for (int m = 0; m < n; m++) {
                double sd = p.latentLogPopSd(o.markets().get(m), m);
                marketItems[m] = Arrays.copyOf(members[m], filled[m]);
                marketWeights[m] = new double[filled[m]];
                double own = Math.sqrt(1 - shared);
                for (int j = 0; j < filled[m]; j++) {
                    double z = (common[marketItems[m][j]] + own * Draws.gaussian(rnd)) / norm;
                    marketWeights[m][j] = Math.exp(sd * z);
                }
            }
            return new Catalogue(topic, marketItems, marketWeights);
        }

        static int groupCount(SyntheticProfile p, Options o) {
            return (int) Math.max(1, Math.min(1 << 24, Math.round(p.groups() * o.itemScale())));
        }

        /** An item sold in k of the fitted markets is sold in k of these, or in all when there are fewer. */
        private static int rescale(int k, int fitted, int n) {
            return Math.max(1, Math.min(n, k));
        }
    }

    /** Generates the markets in memory (for fitting by simulation and for tests), in the options' order. */
    public static Map<String, MarketData> generate(SyntheticProfile profile, Options o) {
        Catalogue cat = Catalogue.draw(profile, o);
        Map<String, MarketData> out = new LinkedHashMap<>();
        for (int m = 0; m < o.markets().size(); m++) {
            out.put(o.markets().get(m), generateMarket(profile, o, cat, m).toMarketData());
        }
        return out;
    }

    private static GeneratedMarket generateMarket(SyntheticProfile p, Options o, Catalogue cat, int m) {
        String market = o.markets().get(m);
        MarketShape s = p.shapeFor(market, m);
        SplittableRandom rnd = new SplittableRandom(o.seed() * 0x9E3779B97F4A7C15L + m * 0xBF58476D1CE4E5B9L + 1);
        int[] items = cat.marketItems()[m];
        double[] weights = cat.marketWeights()[m];
        int k = Catalogue.groupCount(p, o);
        long users = Math.max(1, Math.round(s.users() * o.scale()));
        int minDegree = (int) Math.max(1, Math.round(s.degree()[0]));
        double[] ratingCum = Draws.cumulative(s.ratings());
        double firstDay = s.days()[0];
        double lastDay = s.days()[s.days().length - 1];
        // how popularity and time mix (see SyntheticProfile.Latent#popMix): items live for part of the
        // market's years, or all of them with a share of reviews drawn by popularity alone
        double mix = p.latentPopMix(market, m);
        int life = (int) Math.max(1, Math.min(EPOCHS, Math.round(Math.min(1, mix) * EPOCHS)));
        double background = Math.max(0, mix - 1);
        // each item is sold for `life` epochs from a launch drawn from the market's review dates
        int[] launch = new int[items.length];
        for (int j = 0; j < items.length; j++) {
            int e = epoch(SyntheticProfile.draw(s.days(), rnd.nextDouble()), firstDay, lastDay);
            launch[j] = Math.max(0, Math.min(EPOCHS - life, e - rnd.nextInt(life)));
        }
        // per (group, epoch) and per epoch an alias table over the items on sale then
        List<List<Integer>> byGroupEpoch = new ArrayList<>();
        List<List<Integer>> byEpoch = new ArrayList<>();
        for (int i = 0; i < k * EPOCHS; i++) {
            byGroupEpoch.add(new ArrayList<>());
        }
        for (int e = 0; e < EPOCHS; e++) {
            byEpoch.add(new ArrayList<>());
        }
        for (int j = 0; j < items.length; j++) {
            for (int e = launch[j]; e < launch[j] + life; e++) {
                byGroupEpoch.get(cat.topic()[items[j]] * EPOCHS + e).add(j);
                byEpoch.get(e).add(j);
            }
        }
        Draws.Alias[] groups = new Draws.Alias[k * EPOCHS];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = byGroupEpoch.get(i).isEmpty() ? null : Draws.Alias.of(byGroupEpoch.get(i).stream()
                    .mapToInt(Integer::intValue).toArray(), weights);
            byGroupEpoch.set(i, null);
        }
        Draws.Alias[] onSale = new Draws.Alias[EPOCHS];
        for (int e = 0; e < EPOCHS; e++) {
            onSale[e] = byEpoch.get(e).isEmpty() ? null : Draws.Alias.of(byEpoch.get(e).stream().mapToInt(Integer::intValue)
                    .toArray(), weights);
        }
        Draws.Alias all = Draws.Alias.of(java.util.stream.IntStream.range(0, items.length).toArray(), weights);
        // lines: user, item index into `items`, rating, day
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, users * 12);
        int[] lu = new int[capacity];
        int[] li = new int[capacity];
        byte[] lr = new byte[capacity];
        int[] ld = new int[capacity];
        int lines = 0;
        double[] theta = new double[Math.min(k, p.groups())];
        int[] chosen = new int[256];
        int[] days = new int[256];
        int[] userStart = new int[(int) users + 1];
        for (int u = 0; u < users; u++) {
            userStart[u] = lines;
            int degree = (int) Math.max(minDegree, Math.min(items.length, Math.floor(SyntheticProfile.draw(s.degree(),
                    rnd.nextDouble()))));
            degree = Math.min(degree, chosen.length);
            // the user's taste: a Dirichlet draw over a window of the ring (all of it at scale 1)
            int g = theta.length;
            int from = rnd.nextInt(k);
            double sum = 0;
            for (int i = 0; i < g; i++) {
                theta[i] = Draws.gamma(rnd, p.concentration()) + 1e-12;
                sum += theta[i];
            }
            // the first review as fitted; the span as fitted for users who started in the same fifth of
            // dates; the first and last reviews close the span, the others fall within it
            double u0 = rnd.nextDouble();
            double start = SyntheticProfile.draw(s.first(), u0);
            double[] spans = s.spanByStart()[Math.min(s.spanByStart().length - 1, (int) (u0 * s.spanByStart().length))];
            double span = Math.max(0, Math.min(lastDay - start, SyntheticProfile.draw(spans, rnd.nextDouble())));
            for (int r = 0; r < degree; r++) {
                days[r] = (int) Math.round(start + (r == 0 ? 0 : r == 1 ? span : rnd.nextDouble() * span));
            }
            int have = 0;
            int tries = 0;
            while (have < degree) {
                int day = days[have];
                int e = epoch(day, firstDay, lastDay);
                int j;
                if (tries++ > degree * 30) {
                    j = all.draw(rnd); // a small catalogue: nothing new on sale in the user's groups
                } else if (rnd.nextDouble() < background) {
                    Draws.Alias a = onSale[e];
                    j = a != null ? a.draw(rnd) : all.draw(rnd); // what is popular, whatever the user's taste
                } else {
                    double x = rnd.nextDouble() * sum;
                    int i = 0;
                    while (i < g - 1 && (x -= theta[i]) > 0) {
                        i++;
                    }
                    Draws.Alias a = groups[((from + i) % k) * EPOCHS + e];
                    if (a == null) {
                        continue;
                    }
                    j = a.draw(rnd);
                }
                boolean dup = false;
                for (int c = 0; c < have && !dup; c++) {
                    dup = chosen[c] == j;
                }
                if (dup) {
                    continue;
                }
                chosen[have++] = j;
                if (lines == lu.length) {
                    int grown = (int) Math.min(Integer.MAX_VALUE - 8, lu.length * 3L / 2);
                    lu = Arrays.copyOf(lu, grown);
                    li = Arrays.copyOf(li, grown);
                    lr = Arrays.copyOf(lr, grown);
                    ld = Arrays.copyOf(ld, grown);
                }
                lu[lines] = u;
                li[lines] = j;
                lr[lines] = (byte) (Draws.pick(ratingCum, rnd.nextDouble()) + 1);
                ld[lines] = day;
                lines++;
            }
        }
        userStart[(int) users] = lines;
        lu = Arrays.copyOf(lu, lines);
        li = Arrays.copyOf(li, lines);
        coverCatalogue(lu, li, userStart, items.length, cat, items, rnd);
        // random line order, as in the real files
        int[] order = io.xmrec.core.sampling.Permutation.random(lines, rnd);
        String tag = Integer.toString(m, 36).toUpperCase(java.util.Locale.ROOT);
        return new GeneratedMarket(market, tag, items, new GeneratedMarket.Reviews(lu, li, Arrays.copyOf(lr, lines),
                Arrays.copyOf(ld, lines)), order, users);
    }

    /**
     * Every item of the catalogue is reviewed at least once (the catalogue is what the reviews name):
     * an item no draw reached takes the place of a line whose item was drawn more than once,
     * preferably one of the same group, for a user who does not have it yet.
     */
    private static void coverCatalogue(int[] user, int[] item, int[] userStart, int catalogue, Catalogue cat,
                                       int[] items, SplittableRandom rnd) {
        int[] count = new int[catalogue];
        for (int j : item) {
            count[j]++;
        }
        for (int j = 0; j < catalogue; j++) {
            if (count[j] > 0) {
                continue;
            }
            for (int tries = 0; tries < 400; tries++) {
                int x = rnd.nextInt(item.length);
                int old = item[x];
                if (count[old] < 2 || (tries < 200 && cat.topic()[items[old]] != cat.topic()[items[j]])) {
                    continue;
                }
                int u = user[x];
                boolean has = false;
                for (int y = userStart[u]; y < userStart[u + 1] && !has; y++) {
                    has = item[y] == j;
                }
                if (has) {
                    continue;
                }
                item[x] = j;
                count[old]--;
                count[j]++;
                break;
            }
        }
    }

    /** Slices of a market's years in which an item can be on sale. */
    static final int EPOCHS = 16;

    private static int epoch(double day, double firstDay, double lastDay) {
        return (int) Math.max(0, Math.min(EPOCHS - 1, Math.floor((day - firstDay) / (lastDay - firstDay + 1) * EPOCHS)));
    }

    /** The markets of a directory written by {@link #write}, by code (for callers that list them). */
    public static Map<String, Path> files(List<Written> written) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (Written w : written) {
            out.put(w.market(), w.file());
        }
        return out;
    }
}
