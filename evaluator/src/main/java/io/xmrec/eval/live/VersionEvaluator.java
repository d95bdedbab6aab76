package io.xmrec.eval.live;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every {@code evalEvery} (wall clock), the newest model of each market this task sees is measured
 * on every eligible user's current validation and test holdout, the offline protocol
 * ({@link HoldoutEvaluation}): {@code holdout-valid} and {@code holdout-test}, and the reference the
 * same way ({@code reference-valid}, {@code reference-test}). A market whose model changed several
 * times since is measured once, at its newest version; counters say which version was measured and
 * how far behind the newest model it was ({@code evaluated-version}, {@code eval-lag-seconds}).
 * Measuring shares the stream thread with the input, so a market measured in T seconds is measured
 * again {@link #SHARE} T later at the soonest: at most about a sixth of the thread goes to it however
 * many users a market has, and the input's lag stays bounded (the soak of bench/faults.sh: with four
 * times the users and a measurement every two seconds, the lag grew from hundreds to ten thousand).
 */
final class VersionEvaluator implements Processor<String, byte[], String, byte[]> {

    private final AvroSerde serde;
    private final ModelSource models;
    private final LiveEvaluator.Settings s;
    private final HoldoutEvaluation evaluation;
    private final Set<String> markets = new TreeSet<>();
    private final Map<String, Long> evaluated = new HashMap<>();
    private final Map<String, Long> evaluatedRef = new HashMap<>();
    private final Map<String, Long> due = new HashMap<>(); // market -> wall clock before which it is not measured again

    /** A measurement of T seconds is followed by at least SHARE x T seconds without one of that market. */
    static final double SHARE = 5;
    private ProcessorContext<String, byte[]> ctx;
    private MarketStores stores;

    VersionEvaluator(AvroSerde serde, ModelSource models, LiveEvaluator.Settings s) {
        this.serde = serde;
        this.models = models;
        this.s = s;
        this.evaluation = new HoldoutEvaluation(s.seed(), s.negatives());
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.stores = new MarketStores(context, serde);
        context.schedule(s.evalEvery(), PunctuationType.WALL_CLOCK_TIME, this::evaluateNewest);
    }

    @Override
    public void process(Record<String, byte[]> r) {
        if (r.key() != null && !r.key().equals("?") && !r.key().equals("*")) {
            markets.add(r.key()); // the markets of this task (partitioned by market)
        }
    }

    /** When a market measured at {@code now} (ms) in {@code seconds} may be measured again. */
    static long nextDue(long now, long everyMillis, double seconds) {
        return now + Math.max(everyMillis, (long) (SHARE * seconds * 1000));
    }

    void evaluateNewest(long now) {
        for (String market : markets) {
            if (now < due.getOrDefault(market, Long.MIN_VALUE)) {
                continue;
            }
            long t0 = System.nanoTime();
            measure(market, now);
            due.put(market, nextDue(now, s.evalEvery().toMillis(), (System.nanoTime() - t0) / 1e9));
        }
    }

    private void measure(String market, long now) {
        ServedModel m = models.model(market);
        if (m != null && !Long.valueOf(m.version()).equals(evaluated.get(market))) {
            MarketStores.View v = stores.view(market, s.minInteractions());
            long t0 = System.nanoTime();
            List<HoldoutEvaluation.UserHoldout> users = sample(v.users(), s.maxUsers(), s.seed());
            HoldoutEvaluation.Result r = evaluation.evaluate(m, v.pool(), users);
            stores.set(market, "eval-users-eligible", v.users().size());
            stores.set(market, "eval-users-measured", users.size());
            stores.set(market, "holdout-test-ndcg10-ci95", ci95(r.testRanks()));
            stores.emit(ctx, market, m.version(), "holdout-valid", r.users(), LiveMetric.sums(r.validRanks()), now);
            stores.emit(ctx, market, m.version(), "holdout-test", r.users(), LiveMetric.sums(r.testRanks()), now);
            evaluated.put(market, m.version());
            stores.set(market, "evaluated-version", m.version());
            stores.set(market, "eval-lag-seconds", Math.max(0, now - m.meta().createdAtMillis()) / 1e3);
            stores.set(market, "eval-seconds", (System.nanoTime() - t0) / 1e9);
            stores.set(market, "unknown-users", r.unknownUsers());
        }
        ServedModel ref = models.reference(market);
        if (ref != null && !Long.valueOf(ref.version()).equals(evaluatedRef.get(market))) {
            MarketStores.View v = stores.view(market, s.minInteractions());
            HoldoutEvaluation.Result r = evaluation.evaluate(ref, v.pool(), sample(v.users(), s.maxUsers(), s.seed()));
            stores.emit(ctx, market, ref.version(), "reference-valid", r.users(), LiveMetric.sums(r.validRanks()), now);
            stores.emit(ctx, market, ref.version(), "reference-test", r.users(), LiveMetric.sums(r.testRanks()), now);
            evaluatedRef.put(market, ref.version());
        }
    }

    /**
     * At most {@code max} of the users, the same ones whatever the version (those whose seeded hash is
     * smallest), so that versions are compared on one sample; all of them when there are no more.
     */
    static List<HoldoutEvaluation.UserHoldout> sample(List<HoldoutEvaluation.UserHoldout> users, int max, long seed) {
        if (users.size() <= max) {
            return users;
        }
        List<HoldoutEvaluation.UserHoldout> sorted = new ArrayList<>(users);
        sorted.sort(Comparator.comparingLong(u -> mix(seed, u.user())));
        return sorted.subList(0, max);
    }

    private static long mix(long seed, String user) {
        long h = seed * 0x9E3779B97F4A7C15L + user.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    /** Half-width of the 95% confidence interval of the mean nDCG@10 over these ranks (normal approximation). */
    static double ci95(int[] ranks) {
        if (ranks.length < 2) {
            return Double.NaN;
        }
        double sum = 0;
        double sq = 0;
        for (int r : ranks) {
            double v = LiveMetric.NDCG10.of(r);
            sum += v;
            sq += v * v;
        }
        double mean = sum / ranks.length;
        double var = (sq - ranks.length * mean * mean) / (ranks.length - 1);
        return 1.96 * Math.sqrt(Math.max(0, var) / ranks.length);
    }
}
