package io.xmrec.stream;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.testing.TestData;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The holdout job is stopped dead in the middle of a replay (cancelled: nothing is flushed or
 * committed on the way out) and a new job resumes from its last retained checkpoint: the final
 * holdouts equal the offline split, and {@code xmrec.train} holds every promoted interaction once.
 */
class HoldoutJobRestoreIntegrationTest {

    private static final long DAY = 86_400_000L;

    private static ReviewEvent event(String market, Interaction i) {
        return ReviewEvent.newBuilder().setMarket(market).setUser(i.user()).setItem(i.item()).setRating(i.rating())
                .setEventTime(Instant.ofEpochMilli(i.epochDay() * DAY)).setEventId(market + ":file:" + i.seq())
                .setSource("test").build();
    }

    private static void publish(KafkaProducer<String, byte[]> p, AvroSerde serde, String market, List<Interaction> events)
            throws Exception {
        for (Interaction i : events) {
            p.send(new ProducerRecord<>(Topics.reviews(market), i.user(), serde.serialize(Topics.reviews(market),
                    event(market, i))));
        }
        p.flush();
    }

    private static JobClient start(EmbeddedCluster cluster, Path checkpoints) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1,
                LocalCheckpoints.configure(checkpoints, s -> { }));
        HoldoutJob.define(env, new HoldoutJob.Settings(cluster.bootstrap(), cluster.registryUrl(), Map.of(), false,
                Duration.ofDays(7), Duration.ofMillis(500), "restore-test"));
        return env.executeAsync("holdouts (restore test)");
    }

    private static void await(String what, java.util.function.BooleanSupplier c, int seconds) throws InterruptedException {
        io.xmrec.core.testing.Await.require(what, Duration.ofSeconds(seconds), c);
    }

    @Test
    void aJobKilledMidReplayResumesFromItsCheckpointWithTheOfflineSplitAndNoDuplicates(@TempDir Path checkpoints)
            throws Exception {
        MarketData in = TestData.market("in");
        List<Interaction> all = in.interactions();
        int cut = all.size() / 2;
        try (EmbeddedCluster cluster = EmbeddedCluster.start(List.of("in"), 1);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     cluster.bootstrap(), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(),
                     new ByteArraySerializer())) {
            AvroSerde serde = cluster.serde();
            publish(producer, serde, "in", all.subList(0, cut));

            JobClient first = start(cluster, checkpoints);
            await("a checkpoint after the first half", () -> LocalCheckpoints.newest(checkpoints).isPresent()
                    && !TopicReader.readAll(cluster.bootstrap(), Map.of(), Topics.TRAIN, serde,
                    TrainingInteraction.class).isEmpty(), 120);
            // more input while it runs, then it dies mid-stream: what it did since its last checkpoint is lost
            publish(producer, serde, "in", all.subList(cut, cut + 200));
            Thread.sleep(300);
            first.cancel().get(30, TimeUnit.SECONDS);
            Path resumedFrom = LocalCheckpoints.newest(checkpoints).orElseThrow();

            JobClient second = start(cluster, checkpoints);
            publish(producer, serde, "in", all.subList(cut + 200, all.size()));
            var offline = new LeaveOneOutSplitter(3).split(in);
            long expectedTrain = offline.users().stream().mapToLong(u -> u.train().size()).sum();
            try {
                await("every promotion committed", () -> TopicReader.readAll(cluster.bootstrap(), Map.of(),
                        Topics.TRAIN, serde, TrainingInteraction.class).size() >= expectedTrain, 120);
                Thread.sleep(1500); // a duplicate would commit with the next checkpoint
            } finally {
                second.cancel().get(30, TimeUnit.SECONDS);
            }

            List<TrainingInteraction> train = TopicReader.readAll(cluster.bootstrap(), Map.of(), Topics.TRAIN, serde,
                    TrainingInteraction.class);
            Set<String> ids = new HashSet<>();
            for (TrainingInteraction t : train) {
                assertTrue(ids.add(t.getEventId()), "promoted twice: " + t.getEventId() + " (resumed from " + resumedFrom + ")");
            }
            assertEquals(expectedTrain, train.size());
            Map<String, HoldoutState> latest = new HashMap<>();
            for (HoldoutState h : TopicReader.readAll(cluster.bootstrap(), Map.of(), Topics.HOLDOUTS, serde,
                    HoldoutState.class)) {
                latest.merge(h.getUser(), h, (a, b) -> b.getVersion() >= a.getVersion() ? b : a);
            }
            List<String> wrong = new ArrayList<>();
            for (UserSplit u : offline.users()) {
                HoldoutState h = latest.get(u.user());
                assertNotNull(h, u.user());
                if (!u.test().item().equals(h.getTestItem()) || !u.validation().item().equals(h.getValidItem())
                        || u.train().size() != h.getTrainCount()) {
                    wrong.add(u.user());
                }
            }
            assertEquals(List.of(), wrong, "users whose holdout differs from the offline split");
        }
    }
}
