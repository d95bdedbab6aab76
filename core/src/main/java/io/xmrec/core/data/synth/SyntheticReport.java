package io.xmrec.core.data.synth;

import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Two fitted profiles side by side, as a Markdown table (real files against generated ones). */
public final class SyntheticReport {

    private SyntheticReport() {
    }

    public static String compare(String nameA, SyntheticProfile a, String nameB, SyntheticProfile b) {
        StringBuilder s = new StringBuilder();
        s.append("| market | data | users | items | interactions | per user p50 / p90 / p99 / max | top 10% items' share "
                + "| mean rating | 5 stars | reviews from - to (5%-95%) | user span p50 (days) | popularity test nDCG@10 |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        TreeSet<String> markets = new TreeSet<>(a.markets().keySet());
        markets.addAll(b.markets().keySet());
        for (String m : markets) {
            for (Map.Entry<String, SyntheticProfile> e : Map.of(nameA, a, nameB, b).entrySet().stream()
                    .sorted((x, y) -> x.getKey().equals(nameA) ? -1 : 1).toList()) {
                MarketShape sh = e.getValue().markets().get(m);
                if (sh == null) {
                    continue;
                }
                double[] d = sh.degree();
                double[] r = sh.ratings();
                double mean = 0;
                for (int i = 0; i < r.length; i++) {
                    mean += (i + 1) * r[i];
                }
                s.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %.0f / %.0f / %.0f / %.0f | %.3f | %.2f | %.3f "
                                + "| %s - %s | %.0f | %.4f |%n", m, e.getKey(), sh.users(), sh.items(), sh.interactions(), quantile(d, .5),
                        quantile(d, .9), quantile(d, 0.99), quantile(d, 1), sh.top10Share(), mean, r[4],
                        day(quantile(sh.days(), .05)), day(quantile(sh.days(), .95)), quantile(sh.span(), .5), sh.popNdcg()));
            }
        }
        s.append("\n| across markets | ").append(nameA).append(" | ").append(nameB).append(" |\n|---|---|---|\n");
        s.append(String.format(Locale.ROOT, "| items sold in 2+ markets | %.3f | %.3f |%n", multi(a), multi(b)));
        s.append(String.format(Locale.ROOT, "| log popularity per log(markets sold in), in sd | %.3f | %.3f |%n",
                a.reachLift(), b.reachLift()));
        s.append(String.format(Locale.ROOT, "| correlation of an item's log popularity between two markets | %.3f | %.3f |%n",
                a.popCorrelation(), b.popCorrelation()));
        return s.toString();
    }

    private static double multi(SyntheticProfile p) {
        return p.reachShares().length == 0 ? 0 : 1 - p.reachShares()[0];
    }

    private static double quantile(double[] q, double p) {
        return SyntheticProfile.draw(q, p);
    }

    private static String day(double epochDay) {
        return LocalDate.ofEpochDay(Math.round(epochDay)).toString().substring(0, 7);
    }
}
