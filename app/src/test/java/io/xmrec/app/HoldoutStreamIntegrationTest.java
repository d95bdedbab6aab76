package io.xmrec.app;

import io.xmrec.embedded.EmbeddedCluster;
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
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
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
        try (EmbeddedCluster cluster = EmbeddedCluster.start(List.of("in", "jp"), 1)) {
            String bootstrap = cluster.bootstrap();
            ReplayPublisher.Summary s = IngestCommand.ingest(bootstrap, Map.of(), cluster.registryUrl(), data, 0,
                    new PrintWriter(new StringWriter()));
            long good = data.values().stream().mapToLong(m -> m.interactions().size()).sum();
            assertEquals(good, s.events());

            // broken records between good ones: every kind the job must catch, keyed "bad-<n>" so each dead letter
            // can be matched to its expected class; and good records of unusual shape, which it must keep
            AvroSerde serde = new AvroSerde(new RegistryClient(cluster.registryUrl()));
            String topic = Topics.reviews("in");
            byte[] valid = serde.serialize(topic, event("in", "u-ok", "B01", 5, "2019-01-01", "v-1"));
            int otherType = new RegistryClient(cluster.registryUrl()).register(Topics.TRAIN + "-value",
                    io.xmrec.schemas.TrainingInteraction.getClassSchema());
            byte[] other = serde.serialize(Topics.TRAIN, io.xmrec.schemas.TrainingInteraction.newBuilder().setMarket("in")
                    .setUser("u").setItem("i").setRating(5).setEventTime(Instant.parse("2019-01-01T00:00:00Z")).setArrival(1).build());
            byte[] big = new byte[900_000];
            new java.util.Random(3).nextBytes(big);
            big[0] = 7;
            Map<String, Object[]> bad = new LinkedHashMap<>(); // kind -> {value, expected error class}
            bad.put("text", new Object[] {"not avro at all".getBytes(StandardCharsets.UTF_8), "bad-bytes"});
            bad.put("empty value", new Object[] {new byte[0], "bad-bytes"});
            bad.put("null value (tombstone)", new Object[] {null, "bad-bytes"});
            bad.put("3 bytes", new Object[] {new byte[] {0, 0, 1}, "bad-bytes"});
            byte[] magic = valid.clone();
            magic[0] = 1;
            bad.put("wrong magic byte", new Object[] {magic, "bad-bytes"});
            bad.put("unknown schema id", new Object[] {new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 'x'}, "unknown-schema"});
            bad.put("truncated body", new Object[] {java.util.Arrays.copyOf(valid, valid.length / 2), "decode"});
            byte[] trailing = java.util.Arrays.copyOf(valid, valid.length + 3);
            bad.put("bytes after the record", new Object[] {trailing, "decode"});
            byte[] claim = java.util.Arrays.copyOf(valid, 11);
            System.arraycopy(new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 'a'}, 0, claim, 5, 6);
            bad.put("a string claiming 2 GiB", new Object[] {claim, "decode"});
            bad.put("another record type (schema id " + otherType + ")", new Object[] {other, "incompatible"});
            bad.put("900 KB of garbage", new Object[] {big, "bad-bytes"});
            bad.put("missing market", new Object[] {serde.serialize(topic, event("", "u-bad", "B01", 5, "2019-01-01", "b1")), "invalid-field"});
            bad.put("market of another topic", new Object[] {serde.serialize(topic, event("fr", "u-bad", "B01", 4, "2019-01-01", "b2")), "invalid-field"});
            bad.put("missing user", new Object[] {serde.serialize(topic, event("in", "", "B01", 5, "2019-01-01", "b3")), "invalid-field"});
            bad.put("missing item", new Object[] {serde.serialize(topic, event("in", "u-bad", " ", 5, "2019-01-01", "b4")), "invalid-field"});
            bad.put("rating 0", new Object[] {serde.serialize(topic, event("in", "u-bad", "B01", 0, "2019-01-01", "b5")), "invalid-field"});
            bad.put("rating 6", new Object[] {serde.serialize(topic, event("in", "u-bad", "B01", 6, "2019-01-01", "b6")), "invalid-field"});
            bad.put("rating NaN", new Object[] {serde.serialize(topic, event("in", "u-bad", "B01", Float.NaN, "2019-01-01", "b7")), "invalid-field"});
            bad.put("event time 1970", new Object[] {serde.serialize(topic, event("in", "u-bad", "B01", 4, "1970-01-02", "b8")), "invalid-field"});
            bad.put("event time 2100", new Object[] {serde.serialize(topic, event("in", "u-bad", "B01", 4, "2100-01-01", "b9")), "invalid-field"});
            bad.put("user id of 300 characters", new Object[] {serde.serialize(topic, event("in", "u".repeat(300), "B01", 4, "2019-01-01", "b10")), "invalid-field"});
            bad.put("item id with a space", new Object[] {serde.serialize(topic, event("in", "u-bad", "B0 1", 4, "2019-01-01", "b11")), "invalid-field"});
            bad.put("user id with a control byte", new Object[] {serde.serialize(topic, event("in", "u\u001b[2J", "B01", 4, "2019-01-01", "b12")), "invalid-field"});
            List<byte[]> goodAround = List.of(
                    serde.serialize(topic, event("in", "zz-new", "B0A", 5, "2020-01-01", "g1")),
                    serde.serialize(topic, event("in", "zz-new", "B0B", 4, "2020-01-02", "g2")),
                    serde.serialize(topic, event("in", "zz-new", "B0C", 3, "2020-01-03", "g3")),
                    serde.serialize(topic, event("in", "zz-new", "B0D", 3, "2020-01-01", "g4"))); // late
            byte[] duplicate = goodAround.get(1);
            // a new market is a new topic: its reviews are held out like any other's
            TopicSetup.create(bootstrap, Map.of(), List.of("zz"), 1);
            Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            long extraGood = 0;
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                int k = 0;
                for (Object[] v : bad.values()) {
                    producer.send(new ProducerRecord<>(topic, ("bad-" + k).getBytes(), (byte[]) v[0])).get();
                    producer.send(new ProducerRecord<>(topic, "zz".getBytes(), goodAround.get(k++ % 4))).get();
                }
                producer.send(new ProducerRecord<>(topic, "zz".getBytes(), duplicate)).get();
                // good records of unusual shape: no key, a 256-character user id, a market of its own topic
                producer.send(new ProducerRecord<>(topic, null, serde.serialize(topic, event("in", "no-key", "B01", 5,
                        "2019-02-01", "k1")))).get();
                producer.send(new ProducerRecord<>(topic, null, serde.serialize(topic, event("in", "w".repeat(256), "B01", 5,
                        "2019-02-01", "k2")))).get();
                producer.send(new ProducerRecord<>(Topics.reviews("zz"), "z".getBytes(), serde.serialize(Topics.reviews("zz"),
                        event("zz", "z-user", "B01", 5, "2019-02-01", "z1")))).get();
                extraGood = 3;
            }
            // every bad record, the good ones around them (4 distinct, the rest re-sent), the duplicate, the unusual good ones
            long input = good + bad.size() + bad.size() + 1 + extraGood;

            EmbeddedHoldouts.Run run = EmbeddedHoldouts.runBounded(bootstrap, cluster.registryUrl(), Map.of(), 2);
            EmbeddedHoldouts.Result r = EmbeddedHoldouts.read(bootstrap, cluster.registryUrl(), Map.of(), run.seconds());

            // the source commits its offsets at checkpoints; a run this short may end before any (CommitProgressTest)
            assertTrue(run.commits().committed() <= input, "input records committed by the job's source: " + run.commits());
            // accounting: every input record is in training, held out, or a dead letter
            assertEquals(input, r.train().size() + r.heldOut() + r.deadLetters().size(),
                    "train " + r.train().size() + " + held " + r.heldOut() + " + dead " + r.deadLetters().size());

            // each broken record dead-lettered once with its expected class; the re-sent good ones as duplicates
            Map<String, String> byKey = new LinkedHashMap<>();
            int duplicates = 0;
            for (DeadLetter d : r.deadLetters()) {
                assertEquals(topic, d.getTopic());
                if (io.xmrec.stream.Deduplicate.ERROR_CLASS.contentEquals(d.getErrorClass())) {
                    duplicates++;
                    continue;
                }
                String key = d.getKey() == null ? "?" : StandardCharsets.UTF_8.decode(d.getKey()).toString();
                byKey.put(key, d.getErrorClass() + (d.getTruncated() ? " (truncated " + d.getValueSize() + ")" : ""));
            }
            List<String> wrong = new ArrayList<>();
            int k = 0;
            for (Map.Entry<String, Object[]> e : bad.entrySet()) {
                String got = byKey.get("bad-" + k++);
                if (got == null || !got.startsWith((String) e.getValue()[1])) {
                    wrong.add(e.getKey() + ": expected " + e.getValue()[1] + ", got " + got);
                }
            }
            assertEquals(List.of(), wrong);
            assertEquals(bad.size(), byKey.size(), byKey.toString());
            assertEquals(bad.size() - 4 + 1, duplicates, "the good records sent more than once, and the duplicate");
            assertTrue(byKey.get("bad-" + new ArrayList<>(bad.keySet()).indexOf("900 KB of garbage"))
                    .contains("truncated 900000"), "a big bad record's dead letter is cut to fit: " + byKey);
            assertNotNull(r.holdouts().get("zz|z-user"), "a new market's topic is read");
            assertNotNull(r.holdouts().get("in|no-key"), "a record without key is fine");
            assertNotNull(r.holdouts().get("in|" + "w".repeat(256)), "a 256-character id is fine");
            // the good records around them: the late g4 (Jan 1, after g1 in arrival) ends in training
            HoldoutState zz = r.holdouts().get("in|zz-new");
            assertEquals("B0C", zz.getTestItem());
            assertEquals("B0B", zz.getValidItem());
            assertEquals(2, zz.getTrainCount());

            // the streaming audit of a running system (xmrec holdouts --dump-only) writes what the in-memory dump does
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("holdouts-audit");
            EmbeddedHoldouts.dump(r, dir.resolve("dump.tsv"));
            EmbeddedHoldouts.Audit audit = EmbeddedHoldouts.audit(bootstrap, cluster.registryUrl(), Map.of(),
                    dir.resolve("audit.tsv"));
            assertEquals(java.nio.file.Files.readAllLines(dir.resolve("dump.tsv")),
                    java.nio.file.Files.readAllLines(dir.resolve("audit.tsv")));
            assertEquals(new EmbeddedHoldouts.Audit(r.holdouts().size(), r.train().size(), r.deadLetters().size()), audit);

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
            assertEquals(users + 4, r.holdouts().size(), "every user of both files, plus zz-new, no-key, the long id and z-user");
        }
    }

    private static ReviewEvent event(String market, String user, String item, float rating, String day, String id) {
        return ReviewEvent.newBuilder().setMarket(market).setUser(user).setItem(item).setRating(rating)
                .setEventTime(Instant.parse(day + "T00:00:00Z")).setEventId(id).setSource("test").build();
    }
}
