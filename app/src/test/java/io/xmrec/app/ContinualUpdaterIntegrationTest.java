package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedKafka;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.service.ContinualUpdater;
import io.xmrec.model.topic.ModelClient;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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

    static void runUntilCaughtUp(ContinualUpdater u, java.util.function.BooleanSupplier also) {
        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        do { // at least one poll: what was published just now must be seen before "caught up" means anything
            u.step(Duration.ofMillis(100));
        } while (!(u.caughtUp() && also.getAsBoolean()) && System.nanoTime() < until);
    }

    @Test
    void bootstrapsFineTunesAndAddsANewMarketWithTheNextTrunk() throws Exception {
        MarketData in = TestData.market("in");
        MarketData jp = TestData.market("jp");
        List<String> log = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            String b = kafka.bootstrapServers();
            TopicSetup.create(b, Map.of(), List.of("in", "jp"), 1);
            TrainingFeed feed = new TrainingFeed(b, new AvroSerde(new RegistryClient(registry.url())));
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
                // (interactions since the last trunk's snapshot count towards the next one, the ones fine-tuned
                // before the restart included: when jp arrives over two polls, a third trunk may follow)
                assertTrue(two.trunkVersions() >= 2, log.toString());
                assertTrue(two.versions().containsKey("jp"), two.toString());
                assertTrue(two.versions().get("in") > one.versions().get("in"), "versions only increase across restarts");
                assertTrue(log.stream().anyMatch(l -> l.startsWith("updater: trunk v2") && l.contains("warm from trunk v1")),
                        "the second trunk starts from the first: " + log);
                // in keeps its own head; jp has none, so its head starts from the head of in's fork on the same trunk
                assertTrue(log.stream().anyMatch(l -> l.startsWith("updater: fork of in on trunk v2 (head warm")), log.toString());
                assertTrue(log.stream().anyMatch(l -> l.startsWith("updater: fork of jp on trunk v2 (head from in's")),
                        "jp's head from in's: " + log);
                ServedModel j = client.await("jp", 1, Duration.ofSeconds(30));
                assertTrue(j.users().size() > 200, "jp's users: " + j.users().size());
            } finally {
                client.close();
            }
        }
    }
}
