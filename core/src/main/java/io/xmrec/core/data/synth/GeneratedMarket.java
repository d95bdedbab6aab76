package io.xmrec.core.data.synth;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One generated market's reviews, in file order, and the ids they are written with.
 *
 * @param tag       the market's position in base 36, part of its user ids
 * @param catalogue the catalogue item each of the market's items is
 * @param reviews   the reviews, in the order they were drawn
 * @param order     file order: the {@code i}th line is review {@code order[i]}
 * @param users     users drawn
 */
record GeneratedMarket(String market, String tag, int[] catalogue, Reviews reviews, int[] order, long users) {

    /** Review {@code x}: user, the market's item row, stars, epoch day. */
    record Reviews(int[] user, int[] item, byte[] rating, int[] day) {
    }

    String line(int i) {
        int x = order[i];
        return userId(tag, reviews.user()[x]) + ' ' + itemId(catalogue[reviews.item()[x]]) + ' ' + reviews.rating()[x]
                + ".0 " + LocalDate.ofEpochDay(reviews.day()[x]);
    }

    int soldItems() {
        boolean[] sold = new boolean[catalogue.length];
        int n = 0;
        for (int j : reviews.item()) {
            if (!sold[j]) {
                sold[j] = true;
                n++;
            }
        }
        return n;
    }

    MarketData toMarketData() {
        List<Interaction> xs = new ArrayList<>(order.length);
        for (int i = 0; i < order.length; i++) {
            int x = order[i];
            xs.add(new Interaction(userId(tag, reviews.user()[x]), itemId(catalogue[reviews.item()[x]]),
                    reviews.rating()[x], reviews.day()[x], i + 1));
        }
        return new MarketData(market, Path.of(Markets.fileName(market)), "synthetic", xs, 0);
    }

    /** Writes the market's file (through a part file moved into place). */
    SyntheticMarkets.Written write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write("userId itemId rate date\n");
            for (int i = 0; i < order.length; i++) {
                w.write(line(i));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tmp + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + tmp + " to " + file + ": " + e.getMessage(), e);
        }
        return new SyntheticMarkets.Written(market, file, users, soldItems(), order.length);
    }

    /** A user id no real XMarket id looks like: "SU", the market's position, a scrambled number. */
    static String userId(String tag, int user) {
        return "SU" + tag + "X" + Long.toString(scramble(user), 36).toUpperCase(Locale.ROOT);
    }

    /** An item id: "SI" and a scrambled number (the same item has the same id in every market). */
    static String itemId(int item) {
        return "SI" + Long.toString(scramble(item), 36).toUpperCase(Locale.ROOT);
    }

    /** A bijection of [0, 2^40) so that ids carry no order. */
    private static long scramble(long x) {
        long mask = (1L << 40) - 1;
        x &= mask;
        for (int r = 0; r < 3; r++) {
            x = (x * 0x9E3779B97L + 0x7F4A7C15L) & mask; // odd multiplier: invertible mod 2^40
            x ^= x >>> 17;
        }
        return x;
    }
}
