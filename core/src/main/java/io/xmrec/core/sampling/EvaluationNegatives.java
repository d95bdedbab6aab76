package io.xmrec.core.sampling;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.holdout.Split;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The fixed negatives each held-out item is ranked against (99 per user and split in the paper's
 * protocol): items of the market's pool the user never rated (training, validation or test), by
 * item id so that they are the same whatever other markets share the vocabulary. Training
 * negatives exclude less ({@link TrainingNegatives}).
 * Each user's draw is seeded from (seed, market, user, split) alone: adding a market or a user
 * does not change anyone else's negatives. Can be written to and read from a TSV file.
 */
public final class EvaluationNegatives {

    public static final int DEFAULT_COUNT = 99;
    private static final String HEADER = "# xmrec evaluation negatives v1: market\tsplit\tuser\titems (comma separated)";

    /** key: market \t split \t user. */
    private final Map<String, String[]> negatives;

    private EvaluationNegatives(Map<String, String[]> negatives) {
        this.negatives = negatives;
    }

    public static EvaluationNegatives empty() {
        return new EvaluationNegatives(new HashMap<>());
    }

    /** Draws {@code count} negatives per user and split for a market and adds them. */
    public EvaluationNegatives sample(IndexedMarket m, IdVocabulary items, int count, long seed) {
        for (int r = 0; r < m.users(); r++) {
            for (Split split : Split.values()) {
                int[] drawn = draw(m, r, split, count, seed);
                String[] ids = new String[drawn.length];
                for (int i = 0; i < drawn.length; i++) {
                    ids[i] = items.id(drawn[i]);
                }
                negatives.put(key(m.market(), split, m.userId(r)), ids);
            }
        }
        return this;
    }

    /**
     * One user's negatives for one split by item index of the data set, as {@link #sample} draws them: what training
     * watches without keeping ids per user (at 100x XMarket's size the ids of every user cost a gigabyte and more time
     * than an epoch).
     */
    public static int[] draw(IndexedMarket m, int row, Split split, int count, long seed) {
        int[] buf = new int[count];
        SplittableRandom rnd = new SplittableRandom(userSeed(seed, m.market(), m.userId(row), split));
        int got = DistinctSampler.draw(m.itemPool(), m.ratedItems(row), count, rnd, buf);
        return got == count ? buf : Arrays.copyOf(buf, got);
    }

    /**
     * One user's negatives for one split outside a data set (the live evaluator), identical to what
     * {@link #sample} draws offline for the same seed, market, user and split when the market's
     * items and the user's rated items are the same: {@code pool} is the market's item ids sorted,
     * {@code rated} the positions in {@code pool} of every item the user rated, sorted.
     */
    public static String[] drawForUser(long seed, String market, String user, Split split, String[] pool, int[] rated,
                                       int count) {
        int[] positions = new int[pool.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        int[] buf = new int[count];
        SplittableRandom rnd = new SplittableRandom(userSeed(seed, market, user, split));
        int got = DistinctSampler.draw(positions, rated, count, rnd, buf);
        String[] out = new String[got];
        for (int i = 0; i < got; i++) {
            out[i] = pool[buf[i]];
        }
        return out;
    }

    static long userSeed(long seed, String market, String user, Split split) {
        long h = seed;
        h = h * 0x9E3779B97F4A7C15L + market.hashCode();
        h = h * 0x9E3779B97F4A7C15L + user.hashCode();
        h = h * 0x9E3779B97F4A7C15L + split.ordinal();
        return h;
    }

    /** The negatives of a user and split, or null when none were drawn or loaded for them. */
    public String[] get(String market, Split split, String user) {
        return negatives.get(key(market, split, user));
    }

    public int size() {
        return negatives.size();
    }

    private static String key(String market, Split split, String user) {
        return market + "\t" + split.label() + "\t" + user;
    }

    /** Writes all negatives, sorted by key, as TSV. */
    public void write(Path file) {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(HEADER);
            w.newLine();
            for (Map.Entry<String, String[]> e : new TreeMap<>(negatives).entrySet()) {
                w.write(e.getKey());
                w.write('\t');
                w.write(String.join(",", e.getValue()));
                w.newLine();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write evaluation negatives to " + file, e);
        }
    }

    /** Reads a file written by {@link #write}. */
    public static EvaluationNegatives read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read evaluation negatives from " + file, e);
        }
        Map<String, String[]> out = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 4) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected market, split, user, items"
                        + " separated by tabs, found " + f.length + " fields");
            }
            Split split;
            try {
                split = Split.ofLabel(f[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
            out.put(key(f[0], split, f[2]), f[3].isEmpty() ? new String[0] : f[3].split(","));
        }
        return new EvaluationNegatives(out);
    }
}
