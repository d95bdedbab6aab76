package io.xmrec.eval.live;

import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prequential evaluation: each new interaction (the user's new test item) ranked by the market's
 * current model before any model has trained on it, against 99 negatives from the market's items
 * the user never rated; the mean over the last {@code window} per market goes out every
 * {@code emitEvery} interactions as {@code prequential}.
 */
final class PrequentialEvaluator implements Processor<String, InputTracker.NewInteraction, String, byte[]> {

    private static final long POOL_TTL_MS = 5_000;

    private final AvroSerde serde;
    private final ModelSource models;
    private final LiveEvaluator.Settings s;
    private final HoldoutEvaluation evaluation;
    private final Map<String, Window> windows = new HashMap<>();
    private final Map<String, String[]> pools = new HashMap<>();
    private final Map<String, Long> poolDue = new HashMap<>(); // market -> when its pool is read again (ms, monotonic)
    private ProcessorContext<String, byte[]> ctx;
    private MarketStores stores;

    PrequentialEvaluator(AvroSerde serde, ModelSource models, LiveEvaluator.Settings s) {
        this.serde = serde;
        this.models = models;
        this.s = s;
        this.evaluation = new HoldoutEvaluation(s.seed(), s.negatives());
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.ctx = context;
        this.stores = new MarketStores(context, serde);
    }

    @Override
    public void process(Record<String, InputTracker.NewInteraction> r) {
        String market = r.key();
        ServedModel m = models.model(market);
        if (m == null) {
            return;
        }
        String user = r.value().user();
        String item = r.value().item();
        long events = r.value().events();
        List<String> rated = new ArrayList<>(stores.trainItems(market, user));
        byte[] hb = stores.holdouts.get(market + "|" + user);
        if (hb != null) {
            HoldoutState h = serde.deserialize(hb, HoldoutState.class);
            if (h.getValidItem() != null) {
                rated.add(h.getValidItem());
            }
        }
        rated.add(item);
        int rank = evaluation.rankNew(m, pool(market), user, item, rated, events);
        Window w = windows.computeIfAbsent(market, k -> new Window(s.window()));
        w.add(rank);
        if (w.count % s.emitEvery() == 0) {
            stores.emit(ctx, market, m.version(), "prequential", w.size(), w.sums(), r.timestamp());
        }
    }

    /**
     * The market's items, read again from the stores after {@code POOL_TTL_MS}, or later by the measurements'
     * rule ({@link VersionEvaluator#nextDue}) when reading it (every user) took long.
     */
    private String[] pool(String market) {
        long t0 = System.nanoTime();
        long now = t0 / 1_000_000;
        String[] p = pools.get(market);
        if (p == null || now >= poolDue.get(market)) {
            p = stores.view(market, s.minInteractions()).pool();
            pools.put(market, p);
            poolDue.put(market, VersionEvaluator.nextDue(now, POOL_TTL_MS, (System.nanoTime() - t0) / 1e9));
        }
        return p;
    }

    /** The last {@code n} ranks of a market. */
    static final class Window {
        private final int[] ranks;
        private int next;
        long count;

        Window(int n) {
            ranks = new int[n];
        }

        void add(int rank) {
            ranks[next] = rank;
            next = (next + 1) % ranks.length;
            count++;
        }

        int size() {
            return (int) Math.min(count, ranks.length);
        }

        /** Sums of every {@link LiveMetric} over the window's ranks. */
        double[] sums() {
            return LiveMetric.sums(size() == ranks.length ? ranks : java.util.Arrays.copyOf(ranks, size()));
        }
    }
}
