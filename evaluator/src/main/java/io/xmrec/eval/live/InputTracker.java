package io.xmrec.eval.live;

import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Keeps every user's holdout and training items and the counters; forwards each new interaction
 * (a holdout whose test item changed) for the prequential evaluation, keyed by market. A record that
 * cannot be decoded is counted ({@code bad-records}) and skipped.
 */
final class InputTracker implements Processor<String, byte[], String, InputTracker.NewInteraction> {

    /**
     * A user's newest interaction, before any model trained on it (passed in-process: never serialised).
     *
     * @param events the user's holdout version: how many of their events the holdout job has seen
     */
    record NewInteraction(String user, String item, long events) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(InputTracker.class);

    private final AvroSerde serde;
    private ProcessorContext<String, NewInteraction> ctx;
    private MarketStores stores;

    InputTracker(AvroSerde serde) {
        this.serde = serde;
    }

    @Override
    public void init(ProcessorContext<String, NewInteraction> context) {
        this.ctx = context;
        this.stores = new MarketStores(context, serde);
    }

    @Override
    public void process(Record<String, byte[]> r) {
        byte[] v = LiveEvaluator.untag(r.value());
        try {
            switch (r.value()[0]) {
                case LiveEvaluator.HOLDOUT -> holdout(v, r.timestamp());
                case LiveEvaluator.TRAIN -> {
                    TrainingInteraction t = serde.deserialize(v, TrainingInteraction.class);
                    String key = t.getMarket() + "|" + t.getUser();
                    byte[] old = stores.train.get(key);
                    String items = old == null ? t.getItem() : new String(old, StandardCharsets.UTF_8) + "\n" + t.getItem();
                    stores.train.put(key, items.getBytes(StandardCharsets.UTF_8));
                    stores.count(t.getMarket(), "train", 1);
                }
                case LiveEvaluator.UPDATE -> {
                    UpdateEvent e = serde.deserialize(v, UpdateEvent.class);
                    stores.count(e.getMarket(), "updates-" + e.getKind(), 1);
                    stores.count(e.getMarket(), "seconds-" + e.getKind(), e.getSeconds());
                }
                case LiveEvaluator.DEAD -> stores.count(r.key(), "deadletters", 1);
                default -> throw new IllegalArgumentException("unknown record tag " + r.value()[0]);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            stores.count(r.key() == null ? "?" : r.key(), "bad-records", 1);
            LOG.warn("skipping an input record of market {}: {}", r.key(), e.toString());
        }
    }

    private void holdout(byte[] bytes, long ts) {
        HoldoutState h = serde.deserialize(bytes, HoldoutState.class);
        String key = h.getMarket() + "|" + h.getUser();
        byte[] oldBytes = stores.holdouts.get(key);
        HoldoutState old = oldBytes == null ? null : serde.deserialize(oldBytes, HoldoutState.class);
        if (old != null && old.getVersion() > h.getVersion()) {
            return;
        }
        stores.holdouts.put(key, bytes);
        stores.count(h.getMarket(), "events", 1);
        stores.max(h.getMarket(), "last-event-ms", h.getTestTime().toEpochMilli());
        boolean newTest = old == null || !old.getTestItem().equals(h.getTestItem())
                || !old.getTestTime().equals(h.getTestTime());
        if (newTest) {
            ctx.forward(new Record<>(h.getMarket(), new NewInteraction(h.getUser(), h.getTestItem(), h.getVersion()), ts));
        }
    }
}
