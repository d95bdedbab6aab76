package io.xmrec.app;

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
import java.util.TreeMap;

/**
 * Publishes markets' offline splits as the holdout job would (every holdout, then a share of each
 * user's training interactions; the rest later), counting what it sent per market.
 */
final class TrainingFeed implements AutoCloseable {

    final Map<String, List<TrainingInteraction>> rest = new LinkedHashMap<>();
    final List<String> late = new ArrayList<>();
    /** Training interactions sent, per market. */
    final Map<String, Long> sent = new TreeMap<>();
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde serde;

    TrainingFeed(String bootstrap, AvroSerde serde) {
        this.serde = serde;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new ByteArraySerializer());
    }

    /** Every holdout and {@code share} of each user's training interactions, none yet of every {@code lateEvery}-th user. */
    long market(MarketData data, double share, int lateEvery) {
        MarketSplit split = new LeaveOneOutSplitter(7).split(data);
        long n0 = total();
        int n = 0;
        for (UserSplit u : split.users()) {
            boolean isLate = lateEvery > 0 && n++ % lateEvery == 0;
            if (isLate) {
                late.add(u.user());
            }
            HoldoutState h = HoldoutState.newBuilder().setMarket(data.market()).setUser(u.user())
                    .setValidItem(u.validation().item()).setValidTime(day(u.validation().epochDay()))
                    .setTestItem(u.test().item()).setTestTime(day(u.test().epochDay()))
                    .setTrainCount(u.train().size()).setVersion(u.train().size() + 2).build();
            send(Topics.HOLDOUTS, data.market() + "|" + u.user(), h);
            List<TrainingInteraction> all = new ArrayList<>();
            for (int k = 0; k < u.train().size(); k++) {
                var i = u.train().get(k);
                all.add(TrainingInteraction.newBuilder().setMarket(data.market()).setUser(u.user()).setItem(i.item())
                        .setRating(i.rating()).setEventTime(day(i.epochDay())).setEventId(null).setArrival(k).build());
            }
            int now = isLate ? 0 : (int) Math.round(all.size() * share);
            sendTraining(all.subList(0, now));
            rest.put(data.market() + "|" + u.user(), new ArrayList<>(all.subList(now, all.size())));
        }
        producer.flush();
        return total() - n0;
    }

    /** Everything held back so far. */
    long rest() {
        return rest(1.0);
    }

    /** The first {@code part} of what is held back of each user (rounded up), the remainder stays held back. */
    long rest(double part) {
        long n0 = total();
        for (Map.Entry<String, List<TrainingInteraction>> e : rest.entrySet()) {
            List<TrainingInteraction> left = e.getValue();
            int k = (int) Math.ceil(left.size() * part);
            sendTraining(left.subList(0, k));
            e.setValue(new ArrayList<>(left.subList(k, left.size())));
        }
        producer.flush();
        return total() - n0;
    }

    long total() {
        return sent.values().stream().mapToLong(Long::longValue).sum();
    }

    private void sendTraining(List<TrainingInteraction> ts) {
        for (TrainingInteraction t : ts) {
            send(Topics.TRAIN, t.getMarket() + "|" + t.getUser(), t);
            sent.merge(t.getMarket(), 1L, Long::sum);
        }
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
