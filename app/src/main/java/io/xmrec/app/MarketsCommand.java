package io.xmrec.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.MarketStatistics;
import io.xmrec.core.data.SourceSelector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "markets", mixinStandardHelpOptions = true,
        description = "Describes markets before any training: users, items, interactions, the distribution of ratings, "
                + "the cosine similarity of every pair's item purchase-count vectors (the FOREC paper's Figure 2) and "
                + "how much of each target's catalogue each source sells, and the sources --source auto would pick. "
                + "Tables on stdout; --json and --svg (a heat map of the similarities) on request.")
final class MarketsCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @Option(names = "--markets", paramLabel = "M[,M...]", split = ",", description = "Markets (default: every market in the data directory: its <market>_<anything>.txt files).")
    List<String> markets;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write everything as JSON.")
    Path json;

    @Option(names = "--svg", paramLabel = "FILE", description = "Also write a heat map of the cosine similarities as SVG.")
    Path svg;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, MarketData> loaded = MarketFiles.load(data.dir, markets, false, spec.commandLine().getErr());
        MarketStatistics s = MarketStatistics.of(loaded.values());
        List<String> names = s.names();
        out.println("market    users    items  interactions  rating 1   2      3      4      5    mean");
        for (MarketStatistics.Market m : s.markets().values()) {
            long n = Arrays.stream(m.ratings()).sum() + m.otherRatings();
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-6s %8d %8d %13d ", m.market(), m.users(),
                    m.items(), m.interactions()));
            for (long r : m.ratings()) {
                b.append(String.format(Locale.ROOT, " %5.1f%%", 100.0 * r / Math.max(1, n)));
            }
            b.append(String.format(Locale.ROOT, "  %.2f", m.meanRating()));
            out.println(b);
        }
        out.println();
        out.println("cosine similarity of item purchase counts");
        out.println(matrix(names, (a, b) -> a.equals(b) ? 1.0 : s.cosine(a, b)));
        out.println("share of the target's (row) items the source (column) sells");
        out.println(matrix(names, (a, b) -> a.equals(b) ? 1.0 : s.pair(a, b).itemCoverage()));
        out.println("share of the target's (row) interactions with items the source (column) sells");
        out.println(matrix(names, (a, b) -> a.equals(b) ? 1.0 : s.pair(a, b).interactionCoverage()));
        Map<String, List<String>> ranked = new java.util.LinkedHashMap<>();
        if (names.size() > 1) {
            out.println("sources for --source auto, best first (cosine, then interaction coverage)");
            for (String t : names) {
                ranked.put(t, SourceSelector.rank(s, t).stream().map(MarketStatistics.Pair::source).toList());
                out.println(String.format(Locale.ROOT, "%-8s%s", t, String.join(" ", ranked.get(t))));
            }
        }
        out.flush();
        if (json != null) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode root = om.createObjectNode();
            ObjectNode ms = root.putObject("markets");
            s.markets().values().forEach(m -> {
                ObjectNode o = ms.putObject(m.market());
                o.put("users", m.users()).put("items", m.items()).put("interactions", m.interactions())
                        .put("mean_rating", m.meanRating()).put("other_ratings", m.otherRatings());
                var r = o.putArray("ratings");
                Arrays.stream(m.ratings()).forEach(r::add);
            });
            ObjectNode pairs = root.putObject("pairs");
            s.pairs().forEach((t, bySource) -> {
                ObjectNode to = pairs.putObject(t);
                bySource.forEach((src, p) -> to.putObject(src).put("cosine", p.cosine())
                        .put("item_coverage", p.itemCoverage()).put("interaction_coverage", p.interactionCoverage()));
            });
            ObjectNode auto = root.putObject("auto_sources");
            ranked.forEach((t, r) -> r.forEach(auto.putArray(t)::add));
            Files.writeString(json, om.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        }
        if (svg != null) {
            Files.writeString(svg, heatMap(names, s));
        }
        return 0;
    }

    private static String matrix(List<String> names, java.util.function.BiFunction<String, String, Double> f) {
        StringBuilder b = new StringBuilder("        ");
        names.forEach(n -> b.append(String.format(Locale.ROOT, "%8s", n)));
        for (String r : names) {
            b.append('\n').append(String.format(Locale.ROOT, "%-8s", r));
            for (String c : names) {
                b.append(String.format(Locale.ROOT, "%8.3f", f.apply(r, c)));
            }
        }
        return b.append('\n').toString();
    }

    /** A heat map of the pairwise cosine similarities: white (0) to dark blue (1), values written in the cells. */
    static String heatMap(List<String> names, MarketStatistics s) {
        int cell = 56;
        int left = 48;
        int top = 40;
        int w = left + cell * names.size() + 16;
        int h = top + cell * names.size() + 16;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"13\">%n", w, h));
        b.append("<title>Cosine similarity of item purchase counts between markets</title>\n");
        for (int i = 0; i < names.size(); i++) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    left + i * cell + cell / 2, top - 10, names.get(i)));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    left - 8, top + i * cell + cell / 2 + 5, names.get(i)));
            for (int j = 0; j < names.size(); j++) {
                double v = i == j ? 1.0 : s.cosine(names.get(i), names.get(j));
                int shade = (int) Math.round(255 * (1 - Math.max(0, Math.min(1, v))));
                String fill = String.format(Locale.ROOT, "rgb(%d,%d,255)", shade, shade);
                b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                        + "stroke=\"#ccc\"/>%n", left + j * cell, top + i * cell, cell, cell, fill));
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%.2f</text>%n",
                        left + j * cell + cell / 2, top + i * cell + cell / 2 + 5, v > 0.5 ? "white" : "black", v));
            }
        }
        return b.append("</svg>\n").toString();
    }
}
