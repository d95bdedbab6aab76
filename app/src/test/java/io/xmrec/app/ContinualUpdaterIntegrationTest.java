package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedKafka;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NativeThreads;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.service.ContinualUpdater;
import io.xmrec.model.topic.ModelClient;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The updater on the in-process broker: bootstraps FOREC models from the holdout job's output,
 * fine-tunes them on later micro-batches (or refuses with the rollback guard), and brings a new
 * market in with the next trunk.
 */
class ContinualUpdaterIntegrationTest {

    /** Publishes a market's offline split as the holdout job would: every holdout, then a share of each user's training interactions. */
    private static final class Feed {
        final Map<String, List<TrainingInteraction>> rest = new java.util.LinkedHashMap<>();
        final KafkaProducer<String, byte[]> producer;
        final AvroSerde serde;

        Feed(String bootstrap, AvroSerde serde) {
            this.serde = serde;
            this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(), new ByteArraySerializer());
        }

        final List<String> late = new ArrayList<>();

        /** Every holdout and {@code share} of each user's training interactions, none yet of every {@code lateEvery}-th user. */
        long market(MarketData data, double share, int lateEvery) throws Exception {
            MarketSplit split = new LeaveOneOutSplitter(7).split(data);
            long sent = 0;
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
                for (TrainingInteraction t : all.subList(0, now)) {
                    send(Topics.TRAIN, data.market() + "|" + u.user(), t);
                    sent++;
                }
                rest.put(data.market() + "|" + u.user(), new ArrayList<>(all.subList(now, all.size())));
            }
            producer.flush();
            return sent;
        }

        long rest() throws Exception {
            long sent = 0;
            for (Map.Entry<String, List<TrainingInteraction>> e : rest.entrySet()) {
                for (TrainingInteraction t : e.getValue()) {
                    send(Topics.TRAIN, e.getKey(), t);
                    sent++;
                }
            }
            rest.clear();
            producer.flush();
            return sent;
        }

        private void send(String topic, String key, org.apache.avro.specific.SpecificRecord r) throws Exception {
            producer.send(new ProducerRecord<>(topic, key, serde.serialize(topic, r)));
        }

        private static Instant day(long epochDay) {
            return Instant.ofEpochMilli(epochDay * 86_400_000L);
        }
    }

    private static void runUntilCaughtUp(ContinualUpdater u, java.util.function.BooleanSupplier also) {
        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        do { // at least one poll: what was published just now must be seen before "caught up" means anything
            u.step(Duration.ofMillis(100));
        } while (!(u.caughtUp() && also.getAsBoolean()) && System.nanoTime() < until);
    }

    @Test
    void bootstrapsFineTunesAndAddsANewMarketWithTheNextTrunk() throws Exception {
        NativeThreads.apply(1);
        MarketData in = TestData.market("in");
        MarketData jp = TestData.market("jp");
        List<String> log = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            String b = kafka.bootstrapServers();
            TopicSetup.create(b, Map.of(), List.of("in", "jp"), 1);
            Feed feed = new Feed(b, new AvroSerde(new RegistryClient(registry.url())));
            long first = feed.market(in, 0.6, 10);
            ContinualUpdater.Settings s = ContinualUpdater.Settings.defaults().withMinInteractions(5)
                    .withBootstrap(first / 2).withMicroBatch(150, Duration.ofMillis(200)).withWindow(100_000)
                    .withRetrain(2500, Duration.ZERO)
                    .withTraining(NcfOptions.defaults().withEpochs(2).withBatchSize(256),
                            MamlOptions.defaults().withMaxMetaSteps(30),
                            ForecFork.Options.defaults().withEpochs(2).withBatchSize(256), 1)
                    .withWorkers(2, false);
            ModelClient client = new ModelClient(b, Map.of(), registry.url());
            ContinualUpdater.Stats one;
            try (ContinualUpdater updater = new ContinualUpdater(b, Map.of(), registry.url(),
                    TopicSetup.MODEL_MAX_MESSAGE_BYTES, s, log::add)) {
                runUntilCaughtUp(updater, () -> updater.stats().trunkVersions() >= 1);
                assertEquals(1, updater.stats().trunkVersions(), log.toString());
                ServedModel m = client.await("in", 1, Duration.ofSeconds(30));
                assertEquals(239 - feed.late.size(), m.users().size(), "every eligible in user but the late ones");
                assertTrue(feed.late.stream().noneMatch(u -> m.users().indexOf(u) >= 0));

                long second = feed.rest();
                runUntilCaughtUp(updater, () -> true);
                one = updater.stats();
                assertEquals(first + second, one.interactions());
                // a backlog read in one poll is one micro-batch (at least 150 interactions)
                assertTrue(one.published() - 1 + one.refused() >= 1, "fine-tuned on the new interactions: " + one + " " + log);
                assertTrue(one.published() >= 2, "the guard does not refuse everything: " + log);
                assertTrue(one.waiting().get("in") > 0, "items new since the bootstrap wait for the next trunk: " + one);
                ServedModel latest = client.await("in", one.versions().get("in"), Duration.ofSeconds(30));
                // users who arrived after the trunk were folded in: they have rows and get recommendations
                assertTrue(one.foldedIn() > 0, "new users folded in: " + one);
                List<String> lateIn = feed.late.stream().filter(u -> latest.users().indexOf(u) >= 0).toList();
                // late users whose history holds an item the trunk never saw wait for the next trunk
                assertTrue(lateIn.size() >= feed.late.size() / 2, "late users in the model: " + lateIn.size() + " of "
                        + feed.late.size());
                assertEquals(10, client.recommend("in", lateIn.get(0), 10).size());
            }

            // a restart resumes from the published models: nothing already trained is trained again
            try (ContinualUpdater again = new ContinualUpdater(b, Map.of(), registry.url(),
                    TopicSetup.MODEL_MAX_MESSAGE_BYTES, s, log::add)) {
                runUntilCaughtUp(again, () -> true);
                ContinualUpdater.Stats back = again.stats();
                assertEquals(1, back.restored());
                assertEquals(one.versions(), back.versions(), "restored versions");
                assertEquals(0, back.published(), "everything read again was already in the model: " + back);
                assertEquals(1, back.trunkVersions());

                // a new market: its interactions wait for the next trunk, which then brings it in
                feed.market(jp, 1.0, 0);
                runUntilCaughtUp(again, () -> again.stats().trunkVersions() >= 2);
                ContinualUpdater.Stats two = again.stats();
                assertEquals(2, two.trunkVersions(), log.toString());
                assertTrue(two.versions().containsKey("jp"), two.toString());
                assertTrue(two.versions().get("in") > one.versions().get("in"), "versions only increase across restarts");
                assertTrue(log.stream().anyMatch(l -> l.startsWith("updater: trunk v2") && l.contains("warm from trunk v1")),
                        "the second trunk starts from the first: " + log);
                ServedModel j = client.await("jp", 1, Duration.ofSeconds(30));
                assertTrue(j.users().size() > 200, "jp's users: " + j.users().size());
            } finally {
                client.close();
            }
        }
    }
}
