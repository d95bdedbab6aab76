package io.xmrec.model.updater;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Publishes markets' offline splits as the holdout job would (holdouts on {@code xmrec.holdouts},
 * training interactions on {@code xmrec.train}), in whatever order a test needs.
 */
final class StreamFeed implements AutoCloseable {

    /** Per market|user, the training interactions not sent yet. */
    final Map<String, List<TrainingInteraction>> held = new LinkedHashMap<>();
    /** Per market|user, the holdout not sent yet. */
    final Map<String, HoldoutState> heldHoldouts = new LinkedHashMap<>();
    /** market|user of everyone with at least one training interaction sent. */
    final Set<String> trained = new TreeSet<>();
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde serde;

    StreamFeed(String bootstrap, AvroSerde serde) {
        this.serde = serde;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Holds back a market's split: the holdouts of every {@code holdoutEvery}-th user and the
     * training interactions of everyone are sent with {@link #train} and {@link #holdouts}.
     */
    void load(MarketData data) {
        MarketSplit split = new LeaveOneOutSplitter(7).split(data);
        for (UserSplit u : split.users()) {
            String key = data.market() + "|" + u.user();
            heldHoldouts.put(key, HoldoutState.newBuilder().setMarket(data.market()).setUser(u.user())
                    .setValidItem(u.validation().item()).setValidTime(day(u.validation().epochDay()))
                    .setTestItem(u.test().item()).setTestTime(day(u.test().epochDay()))
                    .setTrainCount(u.train().size()).setVersion(u.train().size() + 2).build());
            List<TrainingInteraction> all = new ArrayList<>();
            for (int k = 0; k < u.train().size(); k++) {
                var i = u.train().get(k);
                all.add(TrainingInteraction.newBuilder().setMarket(data.market()).setUser(u.user()).setItem(i.item())
                        .setRating(i.rating()).setEventTime(day(i.epochDay())).setEventId(null).setArrival(k).build());
            }
            held.put(key, all);
        }
    }

    /** Sends the holdouts of the users {@code which} accepts (by index among the held ones), in order. */
    int holdouts(java.util.function.IntPredicate which) {
        int n = 0;
        int k = 0;
        for (var it = heldHoldouts.entrySet().iterator(); it.hasNext(); k++) {
            var e = it.next();
            if (which.test(k)) {
                send(Topics.HOLDOUTS, e.getKey(), e.getValue());
                it.remove();
                n++;
            }
        }
        producer.flush();
        return n;
    }

    /** Sends {@code share} (rounded) of what is still held of each user accepted by {@code which} (by index). */
    int train(double share, java.util.function.IntPredicate which) {
        int n = 0;
        int k = 0;
        for (Map.Entry<String, List<TrainingInteraction>> e : held.entrySet()) {
            if (!which.test(k++)) {
                continue;
            }
            List<TrainingInteraction> left = e.getValue();
            int take = (int) Math.round(left.size() * share);
            for (TrainingInteraction t : left.subList(0, take)) {
                send(Topics.TRAIN, e.getKey(), t);
                trained.add(e.getKey());
                n++;
            }
            e.setValue(new ArrayList<>(left.subList(take, left.size())));
        }
        producer.flush();
        return n;
    }

    private void send(String topic, String key, org.apache.avro.specific.SpecificRecord r) {
        producer.send(new ProducerRecord<>(topic, key, serde.serialize(topic, r)));
    }

    private static Instant day(long epochDay) {
        return Instant.ofEpochMilli(epochDay * 86_400_000L);
    }

    @Override
    public void close() {
        producer.close();
    }
}
