package io.xmrec.eval.live;

import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.core.sampling.SeededOrder;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Full ranking, at most every {@code fullEvery} per market (a pass over all the market's items per
 * user): for a fixed seeded sample of {@code fullUsers} eligible users, the test item against every
 * item of the market the user has not trained on ({@code holdout-test-full}).
 */
final class FullRankingEvaluator implements Processor<String, byte[], String, byte[]> {

    private final AvroSerde serde;
    private final ModelSource models;
    private final LiveEvaluator.Settings s;
    private final Set<String> markets = new TreeSet<>();
    private final Map<String, Long> done = new HashMap<>();
    private ProcessorContext<String, byte[]> ctx;
    private MarketStores stores;

    FullRankingEvaluator(AvroSerde serde, ModelSource models, LiveEvaluator.Settings s) {
        this.serde = serde;
        this.models = models;
        this.s = s;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.stores = new MarketStores(context, serde);
        context.schedule(s.evalEvery(), PunctuationType.WALL_CLOCK_TIME, this::maybeRank);
    }

    @Override
    public void process(Record<String, byte[]> r) {
        if (r.key() != null && !r.key().equals("?") && !r.key().equals("*")) {
            markets.add(r.key());
        }
    }

    void maybeRank(long now) {
        for (String market : markets) {
            ServedModel m = models.model(market);
            Long last = done.get(market);
            if (m == null || (last != null && now - last < s.fullEvery().toMillis())) {
                continue;
            }
            done.put(market, now);
            MarketStores.View v = stores.view(market, s.minInteractions());
            Map<String, HoldoutEvaluation.UserHoldout> byUser = new HashMap<>();
            v.users().forEach(u -> byUser.put(u.user(), u));
            List<String> sample = SeededOrder.first(byUser.keySet(), s.fullUsers(), s.seed());
            int[] pool = Arrays.stream(v.pool()).mapToInt(i -> m.items().indexOf(i)).filter(i -> i >= 0).toArray();
            int[] ranks = new int[sample.size()];
            for (int k = 0; k < sample.size(); k++) {
                HoldoutEvaluation.UserHoldout h = byUser.get(sample.get(k));
                int target = m.items().indexOf(h.test());
                if (target < 0) {
                    ranks[k] = Integer.MAX_VALUE;
                    continue;
                }
                Set<Integer> trained = new HashSet<>();
                v.train().getOrDefault(h.user(), List.of()).forEach(i -> trained.add(m.items().indexOf(i)));
                int[] c = new int[pool.length + 1];
                c[0] = target;
                int n = 1;
                for (int i : pool) {
                    if (i != target && !trained.contains(i)) {
                        c[n++] = i;
                    }
                }
                c = Arrays.copyOf(c, n);
                int u = m.users().indexOf(h.user());
                float[] sc = u < 0 ? m.scoreAverageUser(c) : m.score(u, c);
                ranks[k] = RankingMetrics.pessimisticRank(sc[0], sc, 1, sc.length);
            }
            stores.emit(ctx, market, m.version(), "holdout-test-full", ranks.length, LiveMetric.sums(ranks), now);
        }
    }
}
