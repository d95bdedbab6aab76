package io.xmrec.model.updater;

import io.xmrec.core.testing.TestData;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.model.updater.ContinualUpdaterIntegrationTest.PartOfIn;
import io.xmrec.model.updater.ContinualUpdaterIntegrationTest.Running;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.xmrec.model.updater.ContinualUpdaterIntegrationTest.await;
import static io.xmrec.model.updater.ContinualUpdaterIntegrationTest.knowsEveryTrainedUser;
import static io.xmrec.model.updater.ContinualUpdaterIntegrationTest.quick;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The continual updater against a real broker, around what a market is served first and what a trunk brings:
 * the freshness count without a fast path, users and markets whose data came after the first trunk, a market's
 * first model of its own, its own model retrained between trunks, and a trunk's fork kept out by the install
 * guard. Apart from {@link ContinualUpdaterIntegrationTest} (whose helpers it uses) so that
 * the test JVMs share the suite's longest tests.
 */
@Execution(ExecutionMode.CONCURRENT) // each test on a cluster of its own
class UpdaterArrivalsIntegrationTest {

    /**
     * The updater's freshness count follows every path: with the fast and medium paths off, the interactions
     * that came after the first trunk reach a model only with the next trunk, and count then; its job timings
     * count the installs, and no fast-path job.
     */
    @Test
    void interactionsATrunkBringsCountInTheUpdatersFreshnessWithoutAFastPath() throws Exception {
        try (PartOfIn in = new PartOfIn()) {
            EmbeddedCluster c = in.cluster;
            StreamFeed feed = in.feed;
            ModelClient client = in.client;
            UpdaterSettings s = quick().withFirstModel(0).withPaths(List.of("slow"));
            try (Running u = new Running(c, s)) {
                await("the first trunk's in model", Duration.ofSeconds(90), () -> client.model("in") != null, u.log);
                feed.train(1.0, k -> true);
                await("a second trunk's in model", Duration.ofSeconds(120),
                        () -> client.model("in") != null && client.model("in").trunkVersion() >= 2, u.log);
                await("the second trunk's interactions counted", Duration.ofSeconds(10),
                        () -> !Double.isNaN(u.updater.stats().markets().freshnessP50()), u.log);
                UpdaterStats st = u.updater.stats();
                assertEquals(0, st.published().rowDeltas() + st.published().headDeltas(), st.toString());
                assertTrue(st.markets().freshnessP50() > 0 && st.markets().freshnessP99() >= st.markets().freshnessP50(),
                        st.toString());
                // the installs are timed as installs, and no fast-path job ran to be timed
                assertTrue(st.jobs().installP50() >= 0 && st.jobs().installP99() >= st.jobs().installP50(), st.toString());
                assertTrue(st.jobs().queuedP50() >= 0, st.toString());
                assertTrue(Double.isNaN(st.jobs().fastP50()), st.toString());
            }
        }
    }

    /**
     * The race of issue 20: the bootstrap trunk sees the holdouts of only a third of the users
     * (they come later than the training interactions); every user with a training interaction
     * must be served within seconds anyway, not after the next trunk.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void usersWhoseHoldoutsCameAfterTheBootstrapAreServedWithinSeconds() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            feed.load(TestData.market("jp"));
            feed.train(1.0, k -> true);
            feed.holdouts(k -> k % 3 == 0);
            UpdaterSettings s = quick().withRetrain(0.25, Duration.ofSeconds(1), Duration.ZERO);
            try (Running u = new Running(c, s)) {
                await("a first jp model", Duration.ofSeconds(90), () -> client.model("jp") != null, u.log);
                assertTrue(u.log.stream().anyMatch(l -> l.contains("trunk v1 on [jp]")), u.log.toString());
                long start = System.nanoTime();
                await("every trained jp user served", Duration.ofSeconds(20),
                        () -> knowsEveryTrainedUser(client, feed, "jp"), u.log);
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms < 20_000, ms + " ms");
                await("no jp user without rows on /metrics", Duration.ofSeconds(5),
                        () -> u.updater.stats().markets().usersWithoutRows().getOrDefault("jp", -1) == 0, u.log); // counted every second
                feed.holdouts(k -> true); // the rest arrives: nothing changes for serving
            }
        }
    }
    /**
     * The same race one level up: every training interaction of two markets is read before the first
     * trunk, but only jp's holdouts have come, so that trunk is jp's alone; when in's holdouts come
     * there is nothing new to train on, and in must still get a model (the next trunk takes it in).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aMarketWhoseHoldoutsCameAfterTheFirstTrunkIsTakenIntoTheNext() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp", "in"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            feed.load(TestData.market("jp")); // 487 users with a holdout, indexed first
            feed.load(TestData.market("in"));
            feed.train(1.0, k -> true);
            feed.holdouts(k -> k < 487);
            // no first models: in must come in through the next trunk
            UpdaterSettings s = quick().withRetrain(0.25, Duration.ofSeconds(1), Duration.ZERO).withFirstModel(0);
            try (Running u = new Running(c, s)) {
                await("a first jp model", Duration.ofSeconds(90), () -> client.model("jp") != null, u.log);
                assertTrue(u.log.stream().anyMatch(l -> l.contains("trunk v1 on [jp]")), u.log.toString());
                feed.holdouts(k -> true); // in's: no new training interaction comes with them
                await("an in model", Duration.ofSeconds(90), () -> client.model("in") != null, u.log);
            }
        }
    }

    /**
     * Markets get a model of their own without waiting for a trunk (there is none here: the bootstrap
     * threshold is never reached), and a market that starts mid-stream gets one the same way: its
     * single-market NMF, named so in the provenance, with every user who has trained on it served.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aMarketStartingMidStreamGetsAFirstModelOfItsOwnWithoutWaitingForATrunk() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp", "in"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            feed.load(TestData.market("jp"));
            feed.train(1.0, k -> true);
            feed.holdouts(k -> true);
            UpdaterSettings s = quick().withBootstrap(10_000_000, 0).withRetrain(10, Duration.ofMinutes(10), Duration.ZERO);
            try (Running u = new Running(c, s)) {
                await("a first jp model", Duration.ofSeconds(60), () -> client.model("jp") != null, u.log);
                feed.load(TestData.market("in")); // a market the stream has not carried so far
                feed.train(1.0, k -> true); // jp has nothing left to send
                feed.holdouts(k -> true);
                await("a first in model", Duration.ofSeconds(60), () -> client.model("in") != null, u.log);
                await("every trained in user served", Duration.ofSeconds(30),
                        () -> knowsEveryTrainedUser(client, feed, "in"), u.log);
                for (String m : List.of("jp", "in")) {
                    ServedModel model = client.model(m);
                    assertEquals(0, model.trunkVersion(), m + ": no trunk was trained");
                    assertEquals("nmf", model.meta().recipe(), m);
                    assertTrue(model.meta().provenanceJson().hasNonNull("first_model"), m);
                    assertNotNull(model.meta().validationNdcg10(), m + ": evaluated on its holdouts when installed");
                }
                assertTrue(u.log.stream().noneMatch(l -> l.contains("trunk v1")), "no trunk: " + u.log);
                assertTrue(u.log.stream().anyMatch(l -> l.contains("in has a first model of its own")), u.log.toString());
            }
        }
    }

    /**
     * Between trunks the medium path retrains a market's own model once its data grew and serves it when it
     * ranks the validation holdouts better than the model served. Here the served model is jp's first model,
     * trained on a quarter of its users and never folded into (no fast path); the rest of the users come, and
     * the retrained model, on all of them, replaces it: a snapshot of the same trunk version, named so. The retrain
     * continues from the first model as it was trained (its rows and dense tensors; NMF's stage alone).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aMarketsOwnModelRetrainedOnItsGrownDataReplacesAServedModelThatRanksWorse() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            feed.load(TestData.market("jp"));
            feed.train(1.0, k -> k % 4 == 0);
            feed.holdouts(k -> k % 4 == 0);
            io.xmrec.model.recipe.TrainingSettings t = quick().training();
            t = new io.xmrec.model.recipe.TrainingSettings(t.ncf().withEpochs(10), t.maml(), t.forec());
            UpdaterSettings s = quick().withTraining(t).withBootstrap(10_000_000, 0)
                    .withRetrain(10, Duration.ofMinutes(10), Duration.ZERO).withPaths(List.of("medium")).withRefresh(0.25);
            try (Running u = new Running(c, s)) {
                await("a first jp model", Duration.ofSeconds(60), () -> client.model("jp") != null, u.log);
                int before = client.model("jp").users().size();
                feed.train(1.0, k -> true);
                feed.holdouts(k -> true);
                await("jp's own model retrained on the users that came since, and served", Duration.ofSeconds(90), () -> {
                    ServedModel m = client.model("jp");
                    return m.meta().provenanceJson().hasNonNull("own_model") && m.users().size() > before;
                }, u.log);
                ServedModel m = client.model("jp");
                assertEquals(0, m.trunkVersion(), "the trunk version of the model it replaced: no trunk was trained");
                assertEquals("nmf", m.meta().recipe());
                assertNotNull(m.meta().validationNdcg10(), "measured on the holdouts read so far");
                assertTrue(u.log.stream().anyMatch(l -> l.startsWith("updater: jp own model retrained from its last")
                        && l.endsWith("served from the next install")), u.log.toString());
                assertTrue(u.log.stream().anyMatch(l -> l.startsWith("updater: jp v") && l.contains(
                        " from its own model retrained (trunk v0): ")), u.log.toString());
                assertEquals(0, u.updater.stats().published().rowDeltas(), "no fast path");
            }
        }
    }

    /**
     * The install guard: a trunk's fork that ranks the validation holdouts below the model served by more than the
     * rollback margin is kept out, and the market goes on with the model it has. The served model here is jp's GMF
     * that an earlier owner published; the updater takes it over and trains a first trunk of GMF at a learning rate
     * that leaves it near its random start, so its fork ranks the holdouts near chance, and keeps it out.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aTrunksForkThatValidatesBelowTheServedModelIsKeptOut() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            io.xmrec.core.data.MarketData jp = TestData.market("jp");
            io.xmrec.core.dataset.CrossMarketDataset ds = io.xmrec.core.dataset.CrossMarketDataset.of(List.of(
                    new io.xmrec.core.holdout.LeaveOneOutSplitter(7).split(jp)));
            io.xmrec.model.NcfModel m = io.xmrec.model.recipe.Recipes.trainChain("gmf", ds, quick().training(), 99,
                    line -> { }).get("gmf").model();
            int[] catalogue = java.util.stream.IntStream.range(0, m.items().size()).toArray();
            int[] popularity = new int[catalogue.length];
            java.util.Arrays.fill(popularity, 1);
            ServedModel published = io.xmrec.model.MarketModels.served("jp", m, io.xmrec.serving.ModelMeta.builder("jp", 1, 0)
                    .provenance("{\"recipe\":\"gmf\"}").build(), catalogue, popularity);
            try (Publisher earlier = new Publisher(c.bootstrap(), Map.of(), c.serde(),
                    io.xmrec.schemas.TopicSetup.MODEL_MAX_MESSAGE_BYTES)) {
                earlier.open("jp").snapshot(io.xmrec.serving.ModelRecords.record(published, "gmf"));
            }
            feed.load(jp);
            feed.train(1.0, k -> true);
            feed.holdouts(k -> true);
            io.xmrec.model.recipe.TrainingSettings still = quick().training();
            still = new io.xmrec.model.recipe.TrainingSettings(still.ncf().withLearningRate(1e-7), still.maml(), still.forec());
            UpdaterSettings s = quick().withMethod("gmf").withTraining(still).withFirstModel(0)
                    .withPaths(List.of("medium", "slow"));
            try (Running u = new Running(c, s)) {
                await("trunk v1's jp model kept out", Duration.ofSeconds(90),
                        () -> u.log.stream().anyMatch(l -> l.startsWith("updater: jp trunk v1's model kept out")), u.log);
                assertTrue(u.log.stream().anyMatch(l -> l.equals("updater: took jp over at v1 (trunk v0)")), u.log.toString());
                assertTrue(u.log.stream().noneMatch(l -> l.startsWith("updater: jp v2 from trunk v1")), u.log.toString());
                assertEquals(0, client.model("jp").trunkVersion(), "the model it had");
                assertTrue(u.updater.stats().published().refused() >= 1, u.updater.stats().toString());
                assertEquals(Map.of("jp", 1L), u.updater.stats().markets().decidedTrunks(),
                        "jp decided on trunk v1 while served from v0");
            }
        }
    }
}
