package io.xmrec.app;

import io.xmrec.embedded.EmbeddedKafka;
import io.xmrec.app.embedded.EmbeddedHoldouts;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.testing.TestData;
import io.xmrec.ingest.ReplayEvents;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.schemas.DeadLetter;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in and jp files through the in-process broker and the Flink holdout job on a mini-cluster:
 * the stream's holdouts and training interactions equal the offline split, broken records land in
 * the dead-letter topic with their reason, and every input record is accounted for.
 */
class HoldoutStreamIntegrationTest {

    @Test
    void streamEqualsOfflineSplitAndBadRecordsAreDeadLettered() throws Exception {
        Map<String, MarketData> data = new LinkedHashMap<>();
        data.put("in", TestData.market("in"));
        data.put("jp", TestData.market("jp"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            String bootstrap = kafka.bootstrapServers();
            ReplayPublisher.Summary s = IngestCommand.ingest(bootstrap, Map.of(), registry.url(), data, 0,
                    new PrintWriter(new StringWriter()));
            long good = data.values().stream().mapToLong(m -> m.interactions().size()).sum();
            assertEquals(good, s.events());

            // broken records between good ones, each kind the job must catch
            AvroSerde serde = new AvroSerde(new RegistryClient(registry.url()));
            String topic = Topics.reviews("in");
            Map<String, byte[]> bad = new LinkedHashMap<>();
            bad.put("bad-bytes", "not avro at all".getBytes(StandardCharsets.UTF_8));
            bad.put("unknown-schema", new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 'x'});
            bad.put("missing user", serde.serialize(topic, event("in", "", "B01", 5, "2019-01-01", "bad-1")));
            bad.put("rating 0.0", serde.serialize(topic, event("in", "u-bad", "B01", 0, "2019-01-01", "bad-2")));
            bad.put("absurd", serde.serialize(topic, event("in", "u-bad", "B01", 4, "1970-01-02", "bad-3")));
            bad.put("does not match topic", serde.serialize(topic, event("fr", "u-bad", "B01", 4, "2019-01-01", "bad-4")));
            List<byte[]> goodAround = List.of(
                    serde.serialize(topic, event("in", "zz-new", "B0A", 5, "2020-01-01", "g1")),
                    serde.serialize(topic, event("in", "zz-new", "B0B", 4, "2020-01-02", "g2")),
                    serde.serialize(topic, event("in", "zz-new", "B0C", 3, "2020-01-03", "g3")),
                    serde.serialize(topic, event("in", "zz-new", "B0D", 3, "2020-01-01", "g4"))); // late
            byte[] duplicate = goodAround.get(1);
            Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                int k = 0;
                for (byte[] v : bad.values()) {
                    producer.send(new ProducerRecord<>(topic, "zz".getBytes(), v)).get();
                    producer.send(new ProducerRecord<>(topic, "zz".getBytes(), goodAround.get(k++ % 4))).get();
                }
                producer.send(new ProducerRecord<>(topic, "zz".getBytes(), duplicate)).get();
            }
            long input = good + bad.size() + 6 + 1; // 6 good-around sends (4 distinct, 2 repeats) + 1 duplicate

            double secs = EmbeddedHoldouts.runBounded(bootstrap, registry.url(), Map.of(), 2);
            EmbeddedHoldouts.Result r = EmbeddedHoldouts.read(bootstrap, registry.url(), Map.of(), secs);

            // accounting: every input record is in training, held out, or a dead letter
            assertEquals(input, r.train().size() + r.heldOut() + r.deadLetters().size(),
                    "train " + r.train().size() + " + held " + r.heldOut() + " + dead " + r.deadLetters().size());

            // dead letters: one per broken record plus the three re-deliveries, each with its reason
            Map<String, Integer> kinds = new TreeMap<>();
            for (DeadLetter d : r.deadLetters()) {
                kinds.merge(d.getErrorClass(), 1, Integer::sum);
                assertEquals(topic, d.getTopic());
                assertNotNull(d.getValue());
            }
            assertEquals(Map.of("bad-bytes", 1, "unknown-schema", 1, "invalid-field", 4, "duplicate", 3), kinds,
                    kinds.toString());
            for (String why : List.of("user is missing", "rating 0.0 is outside", "is absurd", "does not match topic")) {
                assertTrue(r.deadLetters().stream().anyMatch(d -> d.getReason().contains(why)), why);
            }
            // the good records around them: the late g4 (Jan 1, after g1 in arrival) ends in training
            HoldoutState zz = r.holdouts().get("in|zz-new");
            assertEquals("B0C", zz.getTestItem());
            assertEquals("B0B", zz.getValidItem());
            assertEquals(2, zz.getTrainCount());

            // the stream's split equals the offline split, user by user, event by event
            Map<String, List<Long>> trainLines = new HashMap<>();
            for (TrainingInteraction t : r.train()) {
                String id = t.getEventId();
                trainLines.computeIfAbsent(t.getMarket() + "|" + t.getUser(), u -> new ArrayList<>())
                        .add(id.startsWith(t.getMarket() + ":") ? Long.parseLong(id.substring(id.lastIndexOf(':') + 1)) : -1);
            }
            int users = 0;
            for (MarketData md : data.values()) {
                MarketSplit split = new LeaveOneOutSplitter(3).split(md);
                assertEquals(0, split.droppedUsers(), "5-core: every user has a validation item");
                for (UserSplit u : split.users()) {
                    String key = md.market() + "|" + u.user();
                    HoldoutState h = r.holdouts().get(key);
                    assertNotNull(h, key);
                    assertEquals(u.test().item(), h.getTestItem(), key);
                    assertEquals(u.validation().item(), h.getValidItem(), key);
                    assertEquals(Instant.ofEpochMilli(u.test().epochDay() * ReplayEvents.MILLIS_PER_DAY), h.getTestTime());
                    assertEquals(u.train().size(), h.getTrainCount(), key);
                    TreeSet<Long> offline = new TreeSet<>();
                    for (Interaction i : u.train()) {
                        offline.add(i.seq());
                    }
                    assertEquals(offline, new TreeSet<>(trainLines.getOrDefault(key, List.of())), key);
                    users++;
                }
            }
            assertEquals(users + 1, r.holdouts().size(), "every user of both files, plus zz-new");
        }
    }

    private static ReviewEvent event(String market, String user, String item, float rating, String day, String id) {
        return ReviewEvent.newBuilder().setMarket(market).setUser(user).setItem(item).setRating(rating)
                .setEventTime(Instant.parse(day + "T00:00:00Z")).setEventId(id).setSource("test").build();
    }
}
