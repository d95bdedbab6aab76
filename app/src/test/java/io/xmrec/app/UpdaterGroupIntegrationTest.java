package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedKafka;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.service.ContinualUpdater;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two updaters in one consumer group on the in-process broker: the markets are split between
 * them, one trains the trunk, and when one leaves the other takes its market over from the last
 * published version: versions go on without a gap or a repeat, and no interaction is fine-tuned
 * on twice or left out.
 */
class UpdaterGroupIntegrationTest {

    private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

    private void stepUntil(List<ContinualUpdater> us, BooleanSupplier done, String what) {
        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        do {
            for (ContinualUpdater u : us) {
                u.step(Duration.ofMillis(50));
            }
        } while (!(us.stream().allMatch(ContinualUpdater::caughtUp) && done.getAsBoolean()) && System.nanoTime() < until);
        assertTrue(us.stream().allMatch(ContinualUpdater::caughtUp) && done.getAsBoolean(), "timed out waiting for " + what
                + ": " + us.stream().map(ContinualUpdater::stats).toList() + "\n" + String.join("\n", log));
    }

    @Test
    void twoUpdatersShareTheMarketsAndOneTakesOverWhenTheOtherLeaves() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            String b = kafka.bootstrapServers();
            Map<String, Long> atTrunk;
            Map<String, Long> total;
            TopicSetup.create(b, Map.of(), List.of("in", "jp"), 2);
            AvroSerde serde = new AvroSerde(new RegistryClient(registry.url()));
            try (TrainingFeed feed = new TrainingFeed(b, serde)) {
                long first = feed.market(TestData.market("in"), 0.5, 0) + feed.market(TestData.market("jp"), 0.5, 0);
                atTrunk = new HashMap<>(feed.sent);
                ContinualUpdater.Settings s = ContinualUpdater.Settings.defaults().withMinInteractions(5)
                        .withBootstrap(first).withMicroBatch(150, Duration.ofMillis(200)).withWindow(100_000)
                        .withRetrain(1_000_000, Duration.ZERO)
                        .withTraining(NcfOptions.defaults().withEpochs(2).withBatchSize(256),
                                MamlOptions.defaults().withMaxMetaSteps(30),
                                ForecFork.Options.defaults().withEpochs(2).withBatchSize(256), 1)
                        .withRollbackMargin(1.0) // nothing refused: every fine-tuned interaction ends up published
                        .withWorkers(1, false);
                ContinualUpdater.Group group = new ContinualUpdater.Group("group-test", Duration.ofSeconds(6));
                ContinualUpdater a = new ContinualUpdater(b, Map.of(), registry.url(), TopicSetup.MODEL_MAX_MESSAGE_BYTES,
                        s, group, l -> log.add("A " + l));
                try (ContinualUpdater bu = new ContinualUpdater(b, Map.of(), registry.url(),
                        TopicSetup.MODEL_MAX_MESSAGE_BYTES, s, group, l -> log.add("B " + l))) {
                    List<ContinualUpdater> both = List.of(a, bu);
                    stepUntil(both, () -> a.stats().versions().size() + bu.stats().versions().size() == 2
                            && a.stats().trunkVersions() == 1 && bu.stats().trunkVersions() == 1, "the first trunk");
                    ContinualUpdater.Stats sa = a.stats();
                    ContinualUpdater.Stats sb = bu.stats();
                    assertEquals(1, sa.owned().size(), "each updater owns one market: " + sa + " " + sb);
                    assertEquals(1, sb.owned().size(), sa + " " + sb);
                    assertNotEquals(sa.owned(), sb.owned());
                    assertTrue(sa.trunkOwner() ^ sb.trunkOwner(), "exactly one trains the trunk");
                    String moved = sa.owned().iterator().next();

                    feed.rest(0.5);
                    stepUntil(both, () -> true, "the first half of the rest");
                    assertTrue(a.stats().versions().get(moved) > 1, "A fine-tuned its market: " + a.stats());

                    a.close(); // leaves the group: B takes the market over
                    feed.rest();
                    stepUntil(List.of(bu), () -> bu.stats().owned().size() == 2, "the hand-over");
                    ContinualUpdater.Stats after = bu.stats();
                    assertEquals(Set.of("in", "jp"), after.owned(), after.toString());
                    assertTrue(after.trunkOwner() || sb.trunkOwner());
                    assertTrue(log.stream().anyMatch(l -> l.startsWith("B updater: took over " + moved)), log.toString());
                } finally {
                    a.close();
                }
                total = new HashMap<>(feed.sent);
            }

            // the record of it all: versions of each market without gaps or repeats ...
            Map<String, List<ModelRecord>> versions = new HashMap<>();
            for (ModelRecord m : TopicReader.readAll(b, Map.of(), Topics.MODELS, serde, ModelRecord.class)) {
                versions.computeIfAbsent(m.getMarket(), k -> new ArrayList<>()).add(m);
            }
            Map<String, Long> end = endOffsets(b, Topics.TRAIN);
            for (String market : List.of("in", "jp")) {
                List<ModelRecord> vs = versions.get(market);
                for (int i = 0; i < vs.size(); i++) {
                    assertEquals(i + 1, vs.get(i).getVersion(), market + " versions in order, each once");
                }
                // ... the last one has trained through all of the input ...
                Map<String, Long> through = vs.get(vs.size() - 1).getTrainedThrough();
                end.forEach((tp, offset) -> assertEquals(offset, through.get(tp), market + " trained through " + tp));
            }
            // ... and the fine-tuned batches add up to at most what came after the trunk (a batch of users
            // not trainable yet publishes nothing); an interaction trained by both updaters would exceed it
            Map<String, Long> tuned = new HashMap<>();
            for (UpdateEvent e : TopicReader.readAll(b, Map.of(), Topics.UPDATES, serde, UpdateEvent.class)) {
                if (e.getKind().equals("published")) {
                    tuned.merge(e.getMarket(), (long) e.getInteractions(), Long::sum);
                }
            }
            assertFalse(tuned.isEmpty());
            for (String market : List.of("in", "jp")) {
                long since = total.get(market) - atTrunk.get(market);
                System.out.printf("group test: %s fine-tuned on %d of the %d interactions after the trunk, %d versions%n",
                        market, tuned.get(market), since, versions.get(market).size());
                assertTrue(tuned.get(market) <= since, market + ": fine-tuned " + tuned.get(market) + " of " + since);
                assertTrue(tuned.get(market) >= since * 9 / 10, market + ": fine-tuned only " + tuned.get(market) + " of " + since);
            }
        }
    }

    private static Map<String, Long> endOffsets(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int n = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            for (int p = 0; p < n; p++) {
                q.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<String, Long> out = new HashMap<>();
            admin.listOffsets(q).all().get().forEach((tp, r) -> out.put(tp.topic() + "-" + tp.partition(), r.offset()));
            return out;
        }
    }
}
