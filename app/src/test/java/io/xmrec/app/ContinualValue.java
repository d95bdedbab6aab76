package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.experiments.PairedComparison;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.OwnModels;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;

/**
 * The continual-value bench's scorer (bench/continual-value.sh): the interactions a served run's
 * {@link PrequentialTap} recorded, cut by event time into slices of equal counts per market, each
 * ranked against its recorded negatives by (a) the model served when it was read, (b) the model a
 * frozen run served (its own record of the same interaction), (c) the batch oracle, the market's own
 * NMF (the choice's baseline, offline defaults) trained from scratch on the market's training split
 * of every review before the slice, and (d) the market's popularity before the slice. Where a line
 * had no model yet, its rank is popularity's (what a shop serves then), counted apart.
 */
@Command(name = "continual-value", mixinStandardHelpOptions = true)
final class ContinualValue implements java.util.concurrent.Callable<Integer> {

    /** {@code java -cp app/target/xmrec.jar:app/target/test-classes io.xmrec.app.ContinualValue ...} */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ContinualValue()).execute(args));
    }

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @CommandLine.Mixin
    MarketsOption markets = new MarketsOption();

    @Option(names = "--served", required = true, paramLabel = "FILE", description = "The served run's prequential record.")
    Path servedFile;

    @Option(names = "--line", paramLabel = "NAME=FILE", description = "Another run's prequential record, a line of its "
            + "own paired with the served one by interaction (e.g. frozen=..., the run with every path off; no-fast=...).")
    Map<String, Path> others = new LinkedHashMap<>();

    @Option(names = "--warm", description = "Adds a line 'warm': the oracle's model, but from its second slice on each "
            + "slice's retrained from the last slice's (its last stage alone, early stopping as the oracle's: "
            + "OwnModels.continueFrom), to compare a retrain that continues with one from scratch, and their seconds.")
    boolean warm;

    @Option(names = "--slices", description = "Slices of event time per market (default: 20).")
    int slices = 20;

    @Option(names = "--threads", description = "Markets scored at once (default: 2).")
    int threads = 2;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the JSON result.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One recorded interaction: market, user, item, event time, the user's event count, rank (-1: no model), negatives. */
    record Rec(String market, String user, String item, long time, long n, int rank, String[] negatives) {
        String key() {
            return market + "|" + user + "|" + n;
        }
    }

    static List<Rec> read(Path file) throws IOException {
        List<Rec> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                JsonNode j = ResultsJson.MAPPER.readTree(line);
                String[] negs = new String[j.get("neg").size()];
                for (int k = 0; k < negs.length; k++) {
                    negs[k] = j.get("neg").get(k).asText();
                }
                out.add(new Rec(j.get("m").asText(), j.get("u").asText(), j.get("i").asText(), j.get("t").asLong(),
                        j.get("n").asLong(), j.get("r").asInt(), negs));
            }
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, MarketData> loaded = MarketFiles.load(data.dir, markets.list(), false, err);
        Map<String, List<Rec>> served = new TreeMap<>();
        for (Rec r : read(servedFile)) {
            served.computeIfAbsent(r.market(), k -> new ArrayList<>()).add(r);
        }
        Map<String, Map<String, Integer>> lines = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : others.entrySet()) {
            Map<String, Integer> ranks = new HashMap<>();
            for (Rec r : read(e.getValue())) {
                ranks.put(r.key(), r.rank());
            }
            lines.put(e.getKey(), ranks);
        }
        ObjectNode root = ResultsJson.MAPPER.createObjectNode();
        root.put("slices", slices).put("served", servedFile.toString());
        others.forEach((k, v) -> root.put(k, v.toString()));
        ObjectNode per = root.putObject("markets");
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            Map<String, Future<ObjectNode>> jobs = new LinkedHashMap<>();
            for (String m : loaded.keySet()) {
                List<Rec> recs = served.getOrDefault(m, List.of());
                jobs.put(m, ex.submit(() -> market(m, loaded.get(m), recs, lines, err)));
            }
            for (Map.Entry<String, Future<ObjectNode>> e : jobs.entrySet()) {
                per.set(e.getKey(), e.getValue().get());
            }
        } finally {
            ex.shutdownNow();
        }
        ResultsJson.write(root, out);
        return 0;
    }

    /** Slice bounds: the first event day of each of {@code slices} equal-count runs of the (sorted) records, distinct. */
    static List<Long> bounds(List<Rec> recs, int slices) {
        List<Long> days = new ArrayList<>();
        for (int k = 0; k < slices; k++) {
            long d = day(recs.get((int) ((long) k * recs.size() / slices)).time());
            if (days.isEmpty() || d > days.get(days.size() - 1)) {
                days.add(d);
            }
        }
        return days;
    }

    static long day(long millis) {
        return Math.floorDiv(millis, 86_400_000L);
    }

    /** Popularity's rank of an item among negatives: by counts before the slice, ties ranking the item last. */
    static int popularityRank(Map<String, Integer> counts, String item, String[] negs) {
        float[] s = new float[negs.length + 1];
        s[0] = counts.getOrDefault(item, 0);
        for (int k = 0; k < negs.length; k++) {
            s[k + 1] = counts.getOrDefault(negs[k], 0);
        }
        return RankingMetrics.pessimisticRank(s[0], s, 1, s.length);
    }

    private ObjectNode market(String market, MarketData data, List<Rec> recs, Map<String, Map<String, Integer>> others,
                              PrintWriter err) {
        List<String> names = new ArrayList<>();
        names.add("served");
        names.addAll(others.keySet());
        names.add("oracle");
        if (warm) {
            names.add("warm");
        }
        names.add("popularity");
        ObjectNode out = ResultsJson.MAPPER.createObjectNode();
        if (recs.isEmpty()) {
            return out.put("interactions", 0);
        }
        List<Rec> sorted = new ArrayList<>(recs);
        sorted.sort(Comparator.comparingLong(Rec::time).thenComparingLong(Rec::n));
        List<Interaction> all = new ArrayList<>(data.interactions());
        all.sort(Interaction::compareByTime);
        List<Long> bounds = bounds(sorted, slices);
        Map<String, double[]> ndcg = new LinkedHashMap<>();
        for (String l : names) {
            ndcg.put(l, new double[sorted.size()]);
        }
        ArrayNode sl = out.putArray("slices");
        int next = 0;
        LeaveOneOutSplitter splitter = new LeaveOneOutSplitter(LeaveOneOutSplitter.DEFAULT_MIN_INTERACTIONS);
        NcfModel warmModel = null;
        for (int k = 0; k < bounds.size(); k++) {
            long from = bounds.get(k);
            long to = k + 1 < bounds.size() ? bounds.get(k + 1) : Long.MAX_VALUE;
            List<Interaction> before = all.stream().filter(i -> i.epochDay() < from).toList();
            Map<String, Integer> counts = new HashMap<>();
            before.forEach(i -> counts.merge(i.item(), 1, Integer::sum));
            MarketSplit split = splitter.split(market, before);
            long t0 = System.nanoTime();
            ServedModel oracle = null;
            ServedModel warmServed = null;
            double warmSeconds = 0;
            if (!split.users().isEmpty()) {
                CrossMarketDataset ds = CrossMarketDataset.of(List.of(split));
                NcfModel m = Recipes.trainChain(Choice.BASELINE, ds, TrainingSettings.defaults(), 99, line -> { })
                        .get(Choice.BASELINE).model();
                oracle = servedAs(market, m);
                if (warm) {
                    long w0 = System.nanoTime();
                    warmModel = warmModel == null ? m : OwnModels.continueFrom(warmModel, ds, TrainingSettings.defaults(), 99).model();
                    warmSeconds = warmModel == m ? 0 : (System.nanoTime() - w0) / 1e9;
                    warmServed = servedAs(market, warmModel);
                }
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9 - warmSeconds;
            Map<String, double[]> sums = new LinkedHashMap<>(); // line -> ndcg sum, hr sum, without a model, not recorded
            names.forEach(l -> sums.put(l, new double[4]));
            int start = next;
            while (next < sorted.size() && day(sorted.get(next).time()) < to) {
                Rec r = sorted.get(next);
                int pop = popularityRank(counts, r.item(), r.negatives());
                for (String l : names) {
                    double[] acc = sums.get(l);
                    int rank;
                    if (l.equals("popularity")) {
                        rank = pop;
                    } else if (l.equals("oracle") || l.equals("warm")) {
                        ServedModel model = l.equals("oracle") ? oracle : warmServed;
                        rank = model == null ? pop : HoldoutEvaluation.rankAmong(model, r.user(), r.item(), r.negatives());
                    } else {
                        Integer got = l.equals("served") ? Integer.valueOf(r.rank()) : others.get(l).get(r.key());
                        acc[2] += got != null && got < 0 ? 1 : 0;
                        acc[3] += got == null ? 1 : 0;
                        rank = got != null && got >= 0 ? got : pop;
                    }
                    double v = RankingMetrics.ndcg(rank, K);
                    acc[0] += v;
                    acc[1] += RankingMetrics.hitRate(rank, K);
                    ndcg.get(l)[next] = v;
                }
                next++;
            }
            int n = next - start;
            ObjectNode o = sl.addObject().put("from_day", from).put("to_day", to == Long.MAX_VALUE ? -1 : to)
                    .put("interactions", n).put("oracle_users", split.users().size())
                    .put("oracle_train_interactions", split.trainInteractions())
                    .put("oracle_train_seconds", trainSeconds);
            if (warm) {
                o.put("warm_train_seconds", warmSeconds);
            }
            sums.forEach((line, acc) -> o.putObject(line).put("ndcg10", n == 0 ? 0 : acc[0] / n).put("hr10", n == 0 ? 0 : acc[1] / n)
                    .put("without_model", (long) acc[2]).put("not_recorded", (long) acc[3]));
            err.printf("continual-value: %s slice %d/%d from day %d: %d interactions, oracle on %d training interactions (%.1fs)%n",
                    market, k + 1, bounds.size(), from, n, split.trainInteractions(), trainSeconds);
            err.flush();
        }
        out.put("interactions", sorted.size());
        ObjectNode whole = out.putObject("whole");
        for (String l : names) {
            double mean = 0;
            for (double v : ndcg.get(l)) {
                mean += v;
            }
            whole.put(l, mean / sorted.size());
        }
        ObjectNode cmp = out.putObject("paired");
        for (String l : names.subList(1, names.size())) {
            PairedComparison p = PairedComparison.of(ndcg.get(l), ndcg.get("served"));
            cmp.putObject("served_vs_" + l).put("n", p.users()).put("mean_" + l, p.meanA()).put("mean_served", p.meanB())
                    .put("ratio", p.meanB() / p.meanA()).put("diff", p.meanDiff()).put("ci_low", p.ciLow())
                    .put("ci_high", p.ciHigh()).put("t_p", p.tTestP()).put("wilcoxon_p", p.wilcoxonP());
        }
        return out;
    }

    private static ServedModel servedAs(String market, NcfModel m) {
        return MarketModels.served(market, m, ModelMeta.builder(market, 0, 0).provenance("{}").build(), new int[0], new int[0]);
    }

    /** The cut-off of nDCG@K and HR@K, as everywhere in xmrec. */
    private static final int K = 10;
}
