package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.schemas.ModelRecord;
import org.apache.avro.io.BinaryDecoder;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelCodecTest {

    private static ModelRecord avroRoundTrip(ModelRecord r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(ModelRecord.class).write(r, enc);
        enc.flush();
        BinaryDecoder dec = DecoderFactory.get().binaryDecoder(out.toByteArray(), null);
        return new SpecificDatumReader<>(ModelRecord.class).read(null, dec);
    }

    private static void assertScoresMatch(NcfModel model, ServedModel served, IndexedMarket m, String market) {
        int checked = 0;
        for (String user : served.users().ids()) {
            int u = model.users().require(CrossMarketDataset.userKey(market, user));
            int[] items = m.itemPool();
            int[] us = new int[items.length];
            java.util.Arrays.fill(us, u);
            float[] expected = model.score(us, items);
            float[] got = served.score(served.userIndex(user), items);
            for (int k = 0; k < items.length; k++) {
                assertEquals(expected[k], got[k], 1e-5, user + " / item " + items[k]);
                checked++;
            }
        }
        assertTrue(checked > 100);
    }

    @Test
    void forecAndNmfRecordsScoreLikeTheDl4jModelsWithOnlyTheMarketsUsers() throws Exception {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = ForecForkTest.trunk(d);
        NcfModel forec = ForecFork.fork(trunk, ForecFork.Options.defaults(), 3);
        // fine-tune a little so the head is not the identity-ish start
        forec = new NcfTrainer(NcfOptions.defaults().withEpochs(2).withBatchSize(32), null)
                .train(forec, d.restrictedTo(List.of("aa"))).model();
        ModelCodec.Meta meta = new ModelCodec.Meta(7, 2, Map.of("xmrec.train-0", 1234L), 1_600_000_000_000L, 0.41, 0.6);

        ModelRecord r = avroRoundTrip(ModelCodec.toRecord("aa", forec, meta));
        assertEquals(7, r.getVersion());
        assertEquals(1234L, r.getTrainedThrough().get("xmrec.train-0"));
        assertEquals("forec", r.getArchitecture());
        assertEquals(12, r.getUsers().size(), "only market aa's users");
        assertTrue(r.getTensors().stream().anyMatch(t -> t.getName().startsWith("head_")));
        ServedModel served = ModelCodec.served(r);
        assertScoresMatch(forec, served, d.market("aa"), "aa");

        // a trainable DL4J model rebuilt from the record scores the same (restart of the updater)
        NcfModel rebuilt = ModelCodec.toModel(r, NcfOptions.defaults(), ForecFork.Options.defaults());
        assertEquals(NcfArchitecture.FOREC, rebuilt.architecture());
        assertScoresMatch(rebuilt, served, d.market("aa"), "aa");

        ServedModel nmf = ModelCodec.served(avroRoundTrip(ModelCodec.toRecord("bb", trunk, meta)));
        assertScoresMatch(trunk, nmf, d.market("bb"), "bb");

        // recommendations: best first, excluded items left out, unknown users refused by name
        String user = served.users().id(0);
        List<ServedModel.Scored> top = served.recommend(user, 5, Set.of(served.items().id(0)));
        assertEquals(5, top.size());
        assertTrue(top.get(0).score() >= top.get(4).score());
        assertTrue(top.stream().noneMatch(s -> s.item().equals(served.items().id(0))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> served.recommend("nobody", 5, Set.of()));
        assertTrue(e.getMessage().contains("nobody"));
    }

    @Test
    void usersAddedToARecordGetTheirVectorsAndEveryOtherUserKeepsItsScores() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel forec = ForecFork.fork(ForecForkTest.trunk(d), ForecFork.Options.defaults(), 3);
        ModelRecord r = ModelCodec.toRecord("aa", forec, new ModelCodec.Meta(1, 1, Map.of(), null, null, null));
        ServedModel before = ModelCodec.served(r);
        io.xmrec.core.serving.UserFoldIn fold = new io.xmrec.core.serving.UserFoldIn(before,
                io.xmrec.core.serving.UserFoldIn.Options.defaults());
        int[] pool = d.market("aa").itemPool();
        Map<String, io.xmrec.core.serving.UserFoldIn.Vectors> added = new java.util.TreeMap<>();
        added.put("0-first", fold.fit(new int[] {pool[0], pool[1]}, pool, "0-first")); // sorts before everyone
        added.put("zz-last", fold.averageUser());
        ServedModel after = ModelCodec.served(ModelCodec.withUsers(r, added));
        assertEquals(before.users().size() + 2, after.users().size());
        assertEquals("0-first", after.users().id(0), "the vocabulary stays sorted");
        for (String u : before.users().ids()) {
            float[] a = before.score(before.userIndex(u), pool);
            float[] b = after.score(after.userIndex(u), pool);
            for (int k = 0; k < pool.length; k++) {
                assertEquals(a[k], b[k], 0f, u);
            }
        }
        // the rebuilt trainable model knows the new users and scores them like the served record
        NcfModel rebuilt = ModelCodec.toModel(ModelCodec.withUsers(r, added), NcfOptions.defaults(),
                ForecFork.Options.defaults());
        int u = rebuilt.users().require(CrossMarketDataset.userKey("aa", "zz-last"));
        int[] us = new int[pool.length];
        java.util.Arrays.fill(us, u);
        float[] dl4j = rebuilt.score(us, pool);
        float[] plain = after.score(after.userIndex("zz-last"), pool);
        for (int k = 0; k < pool.length; k++) {
            assertEquals(dl4j[k], plain[k], 1e-5);
        }
    }
}
