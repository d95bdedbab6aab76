package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.NetShape;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The medium path trains beside the fast path: a row re-fit (with an item new to the model) published
 * while a head trains stays in the working model when the head is committed, both go out as contiguous
 * versions, an item whose sales doubled is re-fitted, and a client that read them all scores exactly like the
 * updater's model; then a trunk's fork is made ready (what it lacks folded in) beside the working model and
 * installed.
 */
class HeadBesideRowsIntegrationTest {

    private static final int USERS = 30;
    private static final int ITEMS = 40;

    private static String item(int i) {
        return String.format("i%02d", i);
    }

    @Test
    void aRowRefitPublishedWhileAHeadTrainsSurvivesTheHeadsCommit() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("jp"), 1);
             Publisher publisher = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES);
             ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
            List<String> userKeys = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                userKeys.add(CrossMarketDataset.userKey("jp", "u" + u));
            }
            List<String> itemIds = new ArrayList<>();
            for (int i = 0; i < ITEMS; i++) {
                itemIds.add(item(i));
            }
            NcfModel fresh = NcfModel.fresh(NcfArchitecture.GMF, IdVocabulary.ofRows(userKeys), IdVocabulary.ofRows(itemIds),
                    NcfOptions.defaults(), List.of("jp"), false);
            int[] catalogue = new int[ITEMS];
            int[] popularity = new int[ITEMS];
            for (int i = 0; i < ITEMS; i++) {
                catalogue[i] = i;
                popularity[i] = 1 + i % 5;
            }
            ModelMeta meta = ModelMeta.builder("jp", 1, 1).provenance("{\"recipe\":\"gmf\"}").build();
            // any head may go out: the guard is not what this test is about
            UpdaterSettings s = ContinualUpdaterIntegrationTest.quick().withRollbackMargin(1.0);
            MarketUpdater mu = new MarketUpdater("jp", s, publisher.open("jp"), "{}", line -> { });
            mu.takeOver(MarketModels.served("jp", fresh, meta, catalogue, popularity));
            assertEquals(2, mu.snapshot().version(), "the starting point clients read");

            // every user bought five items; the holdouts are two more each
            Map<String, List<String>> sample = new LinkedHashMap<>();
            List<HoldoutEvaluation.UserHoldout> holdouts = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                List<String> bought = new ArrayList<>();
                for (int k = 0; k < 5; k++) {
                    bought.add(item((u * 7 + k * 3) % ITEMS));
                }
                sample.put("u" + u, bought);
                List<String> rated = new ArrayList<>(bought);
                String valid = item((u * 7 + 16) % ITEMS);
                String test = item((u * 7 + 19) % ITEMS);
                rated.add(valid);
                rated.add(test);
                holdouts.add(new HoldoutEvaluation.UserHoldout("u" + u, valid, test, rated));
            }
            String[] pool = itemIds.toArray(new String[0]);
            Arrays.sort(pool);
            HeadTuning head = mu.startHead(new MarketUpdater.HeadJob(sample, holdouts, pool, Map.of(), null));

            // the fast path re-fits a user, with an item the model has not seen, while the head is being trained
            int row = mu.model.users().indexOf(userKeys.get(3));
            float[] before = userRow(mu.model, row);
            String newItem = item(ITEMS);
            MarketUpdater.Done rows = mu.refreshRows(new MarketUpdater.RowJob(
                    Map.of("u3", List.of(item(1), item(2), item(5), newItem)), Map.of(newItem, List.of("u3")),
                    List.of(newItem), Map.of(newItem, 1), Map.of(), null, new long[] {System.currentTimeMillis()}));
            assertFalse(rows.refused());
            assertEquals(3, rows.version());
            assertEquals(ITEMS + 1, mu.model.items().size(), "the new item has a row");
            float[] refitted = userRow(mu.model, row);
            assertFalse(Arrays.equals(before, refitted), "the re-fit moved the user's row");
            head.train(); // measured with the catalogue it was copied with, which lacks the new item

            MarketUpdater.Done committed = head.commit();
            assertFalse(committed.refused(), "the head went out");
            assertEquals(4, committed.version(), "after the rows delta, contiguous");
            assertArrayEquals(refitted, userRow(mu.model, row), "the head's commit kept the re-fitted row");
            boolean moved = false;
            for (String t : mu.recipe.marketTensors(mu.model.net().shape())) {
                assertArrayEquals(head.candidate().net().get(t), mu.model.net().get(t), t + " is the trained head's");
                moved |= !Arrays.equals(fresh.net().get(t), mu.model.net().get(t));
            }
            assertTrue(moved, "training changed the head");

            // an item whose sales doubled since its row was fitted (4 at the take-over) is re-fitted on its buyers
            String grown = item(3);
            assertFalse(mu.itemDue(grown, 7));
            assertTrue(mu.itemDue(grown, 8));
            float[] itemBefore = itemRow(mu.model, 3);
            List<String> buyers = List.of("u0", "u1", "u2", "u4", "u5", "u6", "u7", "u8");
            MarketUpdater.Done refit = mu.refreshRows(new MarketUpdater.RowJob(Map.of(), Map.of(grown, buyers),
                    List.of(), Map.of(grown, 4), Map.of(), null, new long[0]));
            assertEquals(5, refit.version(), "the re-fitted row went out");
            assertFalse(Arrays.equals(itemBefore, itemRow(mu.model, 3)), "the re-fit moved the item's row");
            assertFalse(mu.itemDue(grown, 15), "fitted on 8 now");
            assertTrue(mu.itemDue(grown, 16));

            // a client that read the snapshot and both deltas scores exactly like the updater
            assertTrue(client.sync(Duration.ofSeconds(30)));
            ServedModel read = client.model("jp");
            assertEquals(5, read.version());
            ServedModel own = mu.served(null);
            int[] all = new int[ITEMS + 1];
            for (int i = 0; i <= ITEMS; i++) {
                all[i] = i;
            }
            for (int u = 0; u < USERS; u++) {
                assertArrayEquals(own.score(u, all), read.score(u, all), 0f, "user " + u);
            }
            assertNotEquals(0, read.score(3, all)[0]);

            // a trunk's fork that lacks users and an item read since its data is made ready beside the working model
            NcfModel trunk = NcfModel.fresh(NcfArchitecture.GMF, IdVocabulary.ofRows(userKeys.subList(0, 20)),
                    IdVocabulary.ofRows(itemIds), NcfOptions.defaults(), List.of("jp"), false);
            ServedModel fork = MarketModels.served("jp", trunk, ModelMeta.builder("jp", 1, 2)
                    .provenance("{\"recipe\":\"gmf\"}").build(), catalogue, popularity);
            String later = item(ITEMS + 1);
            List<String> sold = new ArrayList<>(itemIds);
            sold.add(newItem);
            sold.add(later);
            MarketUpdater.Prepared ready = mu.prepare(fork, new MarketUpdater.InstallJob(
                    Map.of("u25", sample.get("u25"), "n1", List.of(item(1), later)), Map.of(later, List.of("n1")), sold,
                    Map.of(later, 1), Map.of("0", 99L), null, new MarketUpdater.Measure(holdouts, pool, null)));
            assertEquals(5, mu.version, "preparing publishes nothing");
            assertEquals(-1, mu.model.users().indexOf(CrossMarketDataset.userKey("jp", "n1")), "nor touches the working model");
            assertTrue(ready.model().users().indexOf(CrossMarketDataset.userKey("jp", "n1")) >= 20, "a user new since the data");
            assertTrue(ready.model().users().indexOf(userKeys.get(25)) >= 20, "a user the trunk lacked");
            assertTrue(ready.model().items().indexOf(later) >= ITEMS, "an item new since the data");
            assertEquals(2, ready.job().users().size());
            int laterRow = ready.model().items().indexOf(later);
            assertTrue(Arrays.stream(ready.rows().catalogue()).anyMatch(r -> r == laterRow), "the new item is sold");
            assertEquals(ITEMS + 1, ready.rows().catalogue().length, "every item sold that has a row (not the one no folded user bought)");
            MarketUpdater.Done installed = mu.install(ready);
            assertEquals(6, installed.version(), "installed as the next version");
            assertEquals(2, mu.trunkVersion);
            assertEquals(Map.of("0", 99L), mu.trainedThrough, "trained through what was read when it was prepared");
            assertTrue(client.sync(Duration.ofSeconds(30)));
            ServedModel after = client.model("jp");
            assertEquals(6, after.version());
            assertEquals(ready.model().users().size(), after.users().size(), "the folded users went out with the install");
            ServedModel ownAfter = mu.served(null);
            int[] items = new int[ready.model().items().size()];
            for (int i = 0; i < items.length; i++) {
                items[i] = i;
            }
            for (int u = 0; u < after.users().size(); u++) {
                assertArrayEquals(ownAfter.score(u, items), after.score(u, items), 0f, "user " + u + " after the install");
            }

            // a new model is measured against the model served when its holdouts were read: the fast path then
            // trains on what were validation items (their users moved on), which would flatter the working model
            MarketUpdater.InstallJob then = new MarketUpdater.InstallJob(Map.of(), Map.of(), List.of(), Map.of(), Map.of(),
                    null, new MarketUpdater.Measure(holdouts, pool, mu.served(null)));
            double validThen = mu.validThen(then);
            Map<String, List<String>> movedOn = new LinkedHashMap<>();
            for (HoldoutEvaluation.UserHoldout h : holdouts) {
                List<String> trained = new ArrayList<>(sample.get(h.user()));
                trained.add(h.valid());
                movedOn.put(h.user(), trained);
            }
            mu.refreshRows(new MarketUpdater.RowJob(movedOn, Map.of(), List.of(), Map.of(), Map.of(), null, new long[0]));
            double validNow = mu.evaluation.evaluate(mu.served(null), pool, holdouts)
                    .valid().ndcg();
            assertTrue(validNow > validThen + 0.05, "trained on its validation items, the working model looks better: "
                    + validNow + " against " + validThen);
            assertEquals(validThen, mu.validThen(then), 0.0, "the comparison reads the model of then");
        }
    }

    private static float[] itemRow(NcfModel m, int row) {
        int d = m.net().shape().gmfDim();
        return Arrays.copyOfRange(m.net().get(NetShape.GMF_ITEM), row * d, (row + 1) * d);
    }

    private static float[] userRow(NcfModel m, int row) {
        int d = m.net().shape().gmfDim();
        return Arrays.copyOfRange(m.net().get(NetShape.GMF_USER), row * d, (row + 1) * d);
    }
}
