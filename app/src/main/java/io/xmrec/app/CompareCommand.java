package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.experiments.PairedComparison;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code xmrec compare}: paired significance test of two offline runs on the same users. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compares two methods user by user (paired t-test and Wilcoxon signed-rank test, 95%% CI"
                + " of the mean difference B - A) from the per-user ranks in `xmrec offline --out` files.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A.json", description = "Results of the baseline run.")
    Path fileA;

    @Parameters(index = "1", paramLabel = "B.json", description = "Results of the run compared with it (may be the same file).")
    Path fileB;

    @Option(names = "--method-a", description = "Method in A (default: its only method).")
    String methodA;

    @Option(names = "--method-b", description = "Method in B (default: its only method).")
    String methodB;

    @Option(names = "--split", defaultValue = "test", description = "valid or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--metric", defaultValue = "ndcg@10", description = "ndcg@10, hr@10 or mrr (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--full", description = "Use ranks against all items instead of the sampled negatives.")
    boolean full;

    @Option(names = "--json", description = "Print the comparison as one JSON object (for scripts).")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!split.equals("valid") && !split.equals("test")) {
            throw new IllegalArgumentException("--split must be valid or test, got '" + split + "'");
        }
        PrintWriter out = spec.commandLine().getOut();
        JsonNode a = ResultsJson.read(fileA);
        JsonNode b = ResultsJson.read(fileB);
        String ma = methodA != null ? methodA : onlyMethod(a, fileA);
        String mb = methodB != null ? methodB : onlyMethod(b, fileB);
        String market = a.path("provenance").path("target").asText();
        String marketB = b.path("provenance").path("target").asText();
        if (!market.equals(marketB)) {
            throw new IllegalArgumentException("the runs evaluate different markets: " + market + " vs " + marketB);
        }
        Map<String, Double> va = values(ResultsJson.ranks(a, fileA, market, ma, split, full));
        Map<String, Double> vb = values(ResultsJson.ranks(b, fileB, market, mb, split, full));
        PairedComparison c = PairedComparison.of(va, vb);
        if (json) {
            var n = ResultsJson.MAPPER.createObjectNode();
            n.put("market", market).put("split", split).put("metric", metric).put("full", full)
                    .put("method_a", ma).put("method_b", mb).put("users", c.users())
                    .put("mean_a", c.meanA()).put("mean_b", c.meanB()).put("mean_diff", c.meanDiff())
                    .put("ci95_low", c.ciLow()).put("ci95_high", c.ciHigh())
                    .put("t_test_p", c.tTestP()).put("wilcoxon_p", c.wilcoxonP());
            out.println(n.toString());
            return 0;
        }
        out.printf("%s %s %s%s: A=%s %s, B=%s %s%n", market, split, metric, full ? " (full)" : " (sampled)",
                fileA, ma, fileB, mb);
        out.printf("users %d  mean A %.4f  mean B %.4f  B-A %+.4f  95%% CI [%+.4f, %+.4f]  rel %+.1f%%%n",
                c.users(), c.meanA(), c.meanB(), c.meanDiff(), c.ciLow(), c.ciHigh(),
                c.meanA() > 0 ? 100 * c.meanDiff() / c.meanA() : Double.NaN);
        out.printf("paired t-test p = %.4g   Wilcoxon signed-rank p = %.4g%n", c.tTestP(), c.wilcoxonP());
        return 0;
    }

    private Map<String, Double> values(Map<String, Integer> ranks) {
        Map<String, Double> out = new LinkedHashMap<>();
        ranks.forEach((u, r) -> out.put(u, switch (metric) {
            case "ndcg@10" -> RankingMetrics.ndcg(r, 10);
            case "hr@10" -> RankingMetrics.hitRate(r, 10);
            case "mrr" -> RankingMetrics.reciprocalRank(r);
            default -> throw new IllegalArgumentException("unknown --metric '" + metric + "': expected ndcg@10, hr@10 or mrr");
        }));
        return out;
    }

    private static String onlyMethod(JsonNode root, Path file) {
        Set<String> methods = new LinkedHashSet<>();
        root.path("per_user").forEach(n -> methods.add(n.path("method").asText()));
        if (methods.size() != 1) {
            throw new IllegalArgumentException(file + " holds methods " + methods + ": choose one with --method-a/--method-b");
        }
        return methods.iterator().next();
    }
}
