package io.xmrec.model.updater;

import io.xmrec.core.testing.TestData;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.serving.ModelClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.xmrec.model.updater.ContinualUpdaterIntegrationTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two updaters in one consumer group: the markets are split between them and one trains the trunk;
 * the other keeps only its own market's input; when the trainer leaves, the other reads its market
 * again and takes it over from the last published version, and the trunk with it; and a former
 * owner that still tries to publish (a zombie) is fenced. Every market's versions, over snapshots
 * and deltas, run 1, 2, 3... with no gap and no repeat.
 */
class UpdaterGroupIntegrationTest {

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoUpdatersShareTheMarketsHandOverAndFenceAFormerOwner() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("in", "jp"), 2);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            feed.load(TestData.market("in"));
            feed.load(TestData.market("jp"));
            feed.holdouts(k -> true);
            feed.train(0.5, k -> true);
            UpdaterSettings s = ContinualUpdaterIntegrationTest.quick();
            ContinualUpdater.Group group = new ContinualUpdater.Group("group-test", Duration.ofSeconds(6));
            List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
            String moved;
            try (Running a = new Running(c, s, group, "A", log); Running b = new Running(c, s, group, "B", log)) {
                await("a model of each market", Duration.ofSeconds(120),
                        () -> client.model("in") != null && client.model("jp") != null, log);
                await("one market each", Duration.ofSeconds(30), () -> a.u.stats().markets().owned().size() == 1
                        && b.u.stats().markets().owned().size() == 1, log);
                UpdaterStats sa = a.u.stats();
                UpdaterStats sb = b.u.stats();
                assertNotEquals(sa.markets().owned(), sb.markets().owned());
                assertTrue(sa.trunk().owner() ^ sb.trunk().owner(), "exactly one trains the trunk: " + sa + " " + sb);
                // the trunk's trainer leaves: the other takes its market and the trunk over
                Running leaving = sa.trunk().owner() ? a : b;
                Running staying = leaving == a ? b : a;
                String stay = leaving == a ? "B" : "A";
                moved = leaving.u.stats().markets().owned().iterator().next();
                // each keeps the input it needs: the trunk's trainer every market's, the other its own market's only
                String own = staying.u.stats().markets().owned().iterator().next();
                await("the updater without the trunk keeps only " + own, Duration.ofSeconds(30),
                        () -> staying.u.heldMarkets().equals(new TreeSet<>(List.of(own))), log);
                assertEquals(new TreeSet<>(List.of("in", "jp")), leaving.u.heldMarkets());
                long before = client.model(moved).version();
                long trunk = Math.max(a.u.trunkVersion(), b.u.trunkVersion());
                leaving.close(); // leaves the group: the other takes the market over from its last published version
                await("the hand-over", Duration.ofSeconds(60), () -> staying.u.stats().markets().owned().size() == 2
                        && staying.u.stats().trunk().owner(), log);
                assertTrue(log.stream().anyMatch(l -> l.startsWith(stay + " updater: took " + moved + " over at v")),
                        log.toString());
                // it had let the market go: it read it again from the beginning before taking it on
                assertTrue(log.stream().anyMatch(l -> l.startsWith(stay + " updater: reading [" + moved
                        + "] from the beginning")), log.toString());
                assertEquals(new TreeSet<>(List.of("in", "jp")), staying.u.heldMarkets());
                Thread.sleep(3000); // idle for longer than the retrain idle time, with no new data
                assertEquals(trunk, staying.u.trunkVersion(), "no trunk on data the last trunk was trained on: " + log);
                assertTrue(log.stream().noneMatch(l -> l.startsWith(stay + " updater: trunk v" + (trunk + 1) + " ")),
                        log.toString());
                feed.train(1.0, k -> true);
                await(moved + " updated by " + stay, Duration.ofSeconds(60), () -> client.model(moved).version() > before, log);

                // a zombie: someone else opens the market's channel (as a new owner would); B is then fenced
                try (Publisher p = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES);
                     Publisher.Channel thief = p.open(moved)) {
                    feed.train(1.0, k -> true); // nothing left: no-op
                    await(stay + " fenced off " + moved, Duration.ofSeconds(60),
                            () -> log.stream().anyMatch(l -> l.contains(stay + " updater: " + moved + ": another updater owns")),
                            log);
                }
            }
            // every version of each market exactly once, in order, over snapshots and deltas
            Map<String, List<Long>> versions = new TreeMap<>();
            for (ModelRecord m : TopicReader.readAll(c.bootstrap(), Map.of(), Topics.MODELS, c.serde(), ModelRecord.class)) {
                if (!m.getReference()) {
                    versions.computeIfAbsent(m.getMarket(), k -> new ArrayList<>()).add(m.getVersion());
                }
            }
            for (ModelDelta d : TopicReader.readAll(c.bootstrap(), Map.of(), Topics.MODEL_DELTAS, c.serde(), ModelDelta.class)) {
                versions.computeIfAbsent(d.getMarket(), k -> new ArrayList<>()).add(d.getVersion());
                assertEquals(d.getVersion() - 1, d.getBaseVersion(), "a delta applies to the version before it");
            }
            for (String market : List.of("in", "jp")) {
                List<Long> vs = versions.get(market);
                Set<Long> distinct = new TreeSet<>(vs);
                assertEquals(vs.size(), distinct.size(), market + ": a version published twice: " + vs);
                assertEquals(1L, (long) ((TreeSet<Long>) distinct).first());
                assertEquals(vs.size(), (long) ((TreeSet<Long>) distinct).last(), market + ": a gap in " + distinct);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFencedChannelCannotPublishAndTheNewOwnersVersionsAreTheOnlyOnes() {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("xx"), 1);
             Publisher p = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES)) {
            Publisher.Channel old = p.open("xx");
            ModelRecord v1 = record(1);
            old.snapshot(v1);
            Publisher.Channel now = p.open("xx"); // the new owner: the old one is fenced
            assertThrows(Publisher.Fenced.class, () -> old.snapshot(record(2)));
            now.snapshot(record(2));
            List<ModelRecord> all = TopicReader.readAll(c.bootstrap(), Map.of(), Topics.MODELS, c.serde(), ModelRecord.class);
            assertEquals(List.of(1L, 2L), all.stream().map(ModelRecord::getVersion).toList());
            old.close();
            now.close();
        }
    }

    private static ModelRecord record(long version) {
        return ModelRecord.newBuilder().setMarket("xx").setVersion(version).setTrunkVersion(1).setArchitecture("gmf")
                .setUsers(List.of()).setItems(List.of()).setTensors(List.of()).setCreatedAt(java.time.Instant.EPOCH).build();
    }

    /** An updater polling on its own thread, logging with a name. */
    static final class Running implements AutoCloseable {
        final ContinualUpdater u;
        private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        private final Thread thread;
        private boolean closed;

        Running(EmbeddedCluster c, UpdaterSettings s, ContinualUpdater.Group g, String name, List<String> log) {
            u = new ContinualUpdater(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES, s, g, "test",
                    l -> log.add(name + " " + l));
            thread = new Thread(() -> u.runUntil(stop::get), "updater-" + name);
            thread.start();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            stop.set(true);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            u.close();
        }
    }
}
