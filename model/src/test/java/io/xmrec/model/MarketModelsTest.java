package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.RowFitter;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarketModelsTest {

    private static ModelRecord wire(ModelRecord r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(ModelRecord.class).write(r, enc);
        enc.flush();
        return new SpecificDatumReader<>(ModelRecord.class).read(null,
                DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    private static ModelMeta meta(String market) {
        return ModelMeta.builder(market, 7, 2).trainedThrough(Map.of("xmrec.train-0", 1234L))
                .watermarkMillis(1_600_000_000_000L).validation(0.41, 0.6).createdAtMillis(1L).provenance("{}")
                .build();
    }

    private static void assertScoresMatch(NcfModel model, ServedModel served, IndexedMarket m, String market) {
        int checked = 0;
        for (String user : served.users().ids()) {
            int u = model.users().require(CrossMarketDataset.userKey(market, user));
            int[] items = m.itemPool();
            int[] us = new int[items.length];
            java.util.Arrays.fill(us, u);
            float[] expected = model.score(us, items);
            float[] got = served.score(served.userRow(user), items);
            for (int k = 0; k < items.length; k++) {
                assertEquals(expected[k], got[k], 1e-6, user + " / item " + items[k]);
                checked++;
            }
        }
        assertTrue(checked > 100);
    }

    @Test
    void forecAndNmfModelsServedFromTheirRecordsScoreExactlyAsTrainedWithOnlyTheMarketsUsers() throws Exception {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = ForecForkTest.trunk(d);
        NcfModel forec = ForecFork.fork(trunk, ForecFork.Options.defaults(), 3);
        forec = new NcfTrainer(NcfOptions.paper().withEpochs(2).withBatchSize(32), null)
                .train(forec, d.restrictedTo(List.of("aa"))).model();
        ModelRecord r = wire(ModelRecords.record(MarketModels.served("aa", forec, meta("aa"), new int[0], new int[0]), "forec"));
        assertEquals(7, r.getVersion());
        assertEquals(1234L, r.getTrainedThrough().get("xmrec.train-0"));
        assertEquals(12, r.getUsers().size(), "only market aa's users");
        assertTrue(r.getTensors().stream().anyMatch(t -> t.getName().startsWith("head_")));
        ServedModel served = ModelRecords.served(r);
        assertScoresMatch(forec, served, d.market("aa"), "aa");

        // a trainable model rebuilt from the record alone scores the same and trains the head only
        NcfModel rebuilt = MarketModels.trainable(served, Recipes.get("forec"), TrainingSettings.defaults());
        assertEquals(NcfArchitecture.FOREC, rebuilt.architecture());
        assertEquals(Set.copyOf(ForecFork.headTensors(rebuilt.net().shape())), rebuilt.trainable());
        assertScoresMatch(rebuilt, served, d.market("aa"), "aa");

        ServedModel nmf = ModelRecords.served(wire(ModelRecords.record(
                MarketModels.served("bb", trunk, meta("bb"), new int[0], new int[0]), "nmf")));
        assertScoresMatch(trunk, nmf, d.market("bb"), "bb");

        // recommendations: best first, excluded items left out
        int excluded = 0;
        List<ServedModel.Scored> top = served.recommend(0, 5, i -> i == excluded);
        assertEquals(5, top.size());
        assertTrue(top.get(0).score() >= top.get(4).score());
        assertTrue(top.stream().noneMatch(s -> s.item().equals(served.items().id(excluded))));
    }

    @Test
    void aMarketAwareModelIsServedPerMarketWithItsMarketVectorsFoldedIntoTheItemTablesScoringExactlyAsTrained()
            throws Exception {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfTrainer t = new NcfTrainer(NcfOptions.paper().withEpochs(2).withBatchSize(32), null).marketAware();
        NcfModel gmf = t.trainGmf(d).model();
        NcfModel nmf = t.trainNmf(d, gmf, t.trainMlp(d, gmf).model()).model();
        assertEquals(2, nmf.net().shape().markets());
        float[] vectors = nmf.net().get(io.xmrec.core.net.NetShape.GMF_MARKET);
        assertTrue(vectors[0] != 1f && vectors[0] != vectors[vectors.length / 2], "trained: the markets' vectors differ");
        for (String market : List.of("aa", "bb")) {
            ServedModel served = ModelRecords.served(wire(ModelRecords.record(
                    MarketModels.served(market, nmf, meta(market), new int[0], new int[0]), "ma-nmf")));
            assertTrue(!served.net().shape().marketAware() && served.net().get(io.xmrec.core.net.NetShape.GMF_MARKET) == null,
                    "a plain network on the wire");
            assertScoresMatch(nmf, served, d.market(market), market);
        }
    }

    @Test
    void usersAppendedKeepEveryOtherUsersScoresAndScoreLikeTheirRows() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel forec = ForecFork.fork(ForecForkTest.trunk(d), ForecFork.Options.defaults(), 3);
        ServedModel before = MarketModels.served("aa", forec, meta("aa"), new int[0], new int[0]);
        int[] pool = d.market("aa").itemPool();
        RowFitter f = new RowFitter(RowFitter.Options.defaults());
        List<RowFitter.Rows> rows = f.fitUsers(before.net(), new int[][] {{pool[0], pool[1]}}, pool,
                List.of(RowFitter.averageUser(before.net())), List.of("0-first"));
        ServedModel after = before.withUsers(List.of("0-first", "zz-last"), List.of(rows.get(0),
                RowFitter.averageUser(before.net())));
        assertEquals(before.users().size() + 2, after.users().size());
        assertEquals("0-first", after.users().id(before.users().size()), "new users are appended: rows never move");
        for (String u : before.users().ids()) {
            assertEquals(before.userRow(u), after.userRow(u));
            float[] a = before.score(before.userRow(u), pool);
            float[] b = after.score(after.userRow(u), pool);
            for (int k = 0; k < pool.length; k++) {
                assertEquals(a[k], b[k], 0f, u);
            }
        }
        // the average user added explicitly scores like the served model's own average-user fallback
        float[] avg = after.score(after.userRow("zz-last"), pool);
        float[] fallback = before.scoreAverageUser(pool);
        for (int k = 0; k < pool.length; k++) {
            assertEquals(fallback[k], avg[k], 1e-6);
        }
    }
}
