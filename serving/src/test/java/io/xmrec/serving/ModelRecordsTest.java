package io.xmrec.serving;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRecordsTest {

    static final NetShape SHAPE = NetShape.nmf(4, 4, List.of(8, 6, 4)).withHead(List.of(5)).withItemBias(true);

    static ServedModel model(long version, int users, int items, long seed) {
        List<String> u = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            u.add(String.format("u%03d", i));
        }
        List<String> it = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            it.add(String.format("i%03d", i));
        }
        Net net = Net.init(SHAPE, users, items, 0.5, seed);
        ModelMeta meta = ModelMeta.builder("xx", version, 1).trainedThrough(Map.of("xmrec.train-0", 10L))
                .watermarkMillis(1000L).validation(0.3, 0.5).createdAtMillis(2000L)
                .provenance("{\"recipe\":\"forec\"}").deltaOffsets(Map.of("0", 0L)).build();
        int[] catalogue = new int[items / 2];
        int[] pop = new int[items / 2];
        for (int k = 0; k < catalogue.length; k++) {
            catalogue[k] = 2 * k;
            pop[k] = k % 5;
        }
        return new ServedModel(meta, net, IdVocabulary.ofRows(u), IdVocabulary.ofRows(it), catalogue, pop);
    }

    static ModelRecord wire(ModelRecord r) throws Exception {
        return new SpecificDatumReader<>(ModelRecord.class).read(null,
                DecoderFactory.get().binaryDecoder(encoded(r), null));
    }

    static byte[] encoded(ModelRecord r) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(ModelRecord.class).write(r, enc);
        enc.flush();
        return out.toByteArray();
    }

    static float[] scores(ServedModel m, int user) {
        int[] all = new int[m.items().size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return m.score(user, all);
    }

    @Test
    void aSnapshotRoundTripsAndDecodesWithNothingElse() throws Exception {
        ServedModel m = model(3, 12, 20, 1);
        ServedModel back = ModelRecords.served(wire(ModelRecords.record(m, "forec")));
        assertEquals(SHAPE, back.net().shape());
        assertEquals(m.users().ids(), back.users().ids());
        assertArrayEquals(m.catalogue(), back.catalogue());
        assertArrayEquals(m.popularity(), back.popularity());
        assertEquals(m.meta(), back.meta());
        for (int u = 0; u < 12; u++) {
            assertArrayEquals(scores(m, u), scores(back, u));
        }
    }

    @Test
    void aRecordOfThePreviousFormatStillDecodes() throws Exception {
        Schema writer;
        byte[] body;
        try (InputStream s = getClass().getResourceAsStream("/golden/model-record-v1.avsc");
             InputStream b = getClass().getResourceAsStream("/golden/model-record-v1.bin")) {
            writer = new Schema.Parser().parse(s);
            body = b.readAllBytes();
        }
        BinaryDecoder dec = DecoderFactory.get().binaryDecoder(body, null);
        ModelRecord r = new SpecificDatumReader<ModelRecord>(writer, ModelRecord.getClassSchema()).read(null, dec);
        ServedModel m = ModelRecords.served(r);
        assertEquals("xx", m.market());
        assertEquals(7, m.version());
        assertEquals(NetShape.nmf(2, 2, List.of(4, 3)), m.net().shape());
        assertEquals(List.of("alice", "bob"), m.users().ids());
        assertArrayEquals(new int[] {0, 1, 2}, m.catalogue(), "no catalogue in the old format: every item");
        assertNull(m.meta().provenance());
        // the first GMF user value was written as sin(1) * 0.5
        assertEquals((float) (Math.sin(1) * 0.5), m.net().get(NetShape.GMF_USER)[0], 0f);
        float[] s = m.score(0, new int[] {0, 1, 2});
        assertTrue(s[0] > 0 && s[0] < 1);
    }

    @Test
    void deltasAppliedInOrderScoreExactlyLikeTheSnapshotTheyLeadTo() throws Exception {
        ServedModel base = model(5, 10, 16, 2);
        // v6: user 3 re-fitted, a new user and a new item (sold in the market), popularity of item 4 up
        float[] gu = base.net().get(NetShape.GMF_USER).clone();
        ServedModel target = model(5, 10, 16, 2);
        Net grown = target.net().withRows(11, 17);
        java.util.Arrays.fill(grown.get(NetShape.GMF_USER), 3 * 4, 4 * 4, 0.7f);
        java.util.Arrays.fill(grown.get(NetShape.GMF_USER), 10 * 4, 11 * 4, -0.2f);
        java.util.Arrays.fill(grown.get(NetShape.MLP_USER), 10 * 4, 11 * 4, 0.1f);
        java.util.Arrays.fill(grown.get(NetShape.GMF_ITEM), 16 * 4, 17 * 4, 0.3f);
        java.util.Arrays.fill(grown.get(NetShape.MLP_ITEM), 16 * 4, 17 * 4, -0.3f);
        grown.get(NetShape.ITEM_BIAS)[16] = 0.05f;
        ModelDelta rows = ModelDelta.newBuilder().setMarket("xx").setVersion(6).setBaseVersion(5).setTrunkVersion(1)
                .setKind("rows").setNewUsers(List.of("new-user")).setNewItems(List.of("new-item"))
                .setTensors(List.of(
                        ModelRecords.rows(NetShape.GMF_USER, grown.get(NetShape.GMF_USER), 4, new int[] {3, 10}),
                        ModelRecords.rows(NetShape.MLP_USER, grown.get(NetShape.MLP_USER), 4, new int[] {10}),
                        ModelRecords.rows(NetShape.GMF_ITEM, grown.get(NetShape.GMF_ITEM), 4, new int[] {16}),
                        ModelRecords.rows(NetShape.MLP_ITEM, grown.get(NetShape.MLP_ITEM), 4, new int[] {16}),
                        ModelRecords.rows(NetShape.ITEM_BIAS, grown.get(NetShape.ITEM_BIAS), 1, new int[] {16})))
                .setCatalogue(List.of(16)).setPopularityItems(List.of(4)).setPopularityCounts(List.of(3))
                .setCreatedAt(Instant.ofEpochMilli(3000)).build();
        // v7: the head fine-tuned
        float[] head = grown.get(NetShape.headWeight(1)).clone();
        for (int k = 0; k < head.length; k++) {
            head[k] *= 0.5f;
        }
        ModelDelta headDelta = ModelDelta.newBuilder().setMarket("xx").setVersion(7).setBaseVersion(6).setTrunkVersion(1)
                .setKind("head").setTensors(List.of(ModelRecords.whole(NetShape.headWeight(1), head)))
                .setValidationNdcg10(0.4).setCreatedAt(Instant.ofEpochMilli(4000)).build();
        ServedModel v6 = ModelRecords.apply(base, rows);
        ServedModel v7 = ModelRecords.apply(v6, headDelta);
        // the snapshot the updater would publish at v7
        Net expected = grown.withTensor(NetShape.headWeight(1), head);
        assertEquals(7, v7.version());
        assertEquals(11, v7.users().size());
        assertEquals("new-user", v7.users().id(10));
        assertEquals(16, v7.items().indexOf("new-item"));
        assertTrue(v7.sells(16));
        assertEquals(0.4, v7.meta().validationNdcg10());
        for (int t = 0; t < expected.tensors(); t++) {
            assertArrayEquals(expected.values(t), v7.net().values(t), expected.name(t));
        }
        ServedModel viaSnapshot = ModelRecords.served(wire(ModelRecords.record(v7, "forec")));
        for (int u = 0; u < 11; u++) {
            assertArrayEquals(scores(viaSnapshot, u), scores(v7, u));
        }
        // copy on write: the base is untouched
        assertArrayEquals(gu, base.net().get(NetShape.GMF_USER));
        assertEquals(10, base.users().size());
        // a delta applies only to its base
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRecords.apply(base, headDelta));
        assertTrue(e.getMessage().contains("does not apply to v5"), e.getMessage());
    }

    @Test
    void malformedDeltasAreRefusedWithTheReason() {
        ServedModel base = model(5, 4, 6, 3);
        ModelDelta outside = ModelDelta.newBuilder().setMarket("xx").setVersion(6).setBaseVersion(5).setTrunkVersion(1)
                .setKind("rows").setTensors(List.of(ModelRecords.rows(NetShape.GMF_USER, new float[40], 4, new int[] {9})))
                .setCreatedAt(Instant.EPOCH).build();
        assertThrows(IllegalArgumentException.class, () -> ModelRecords.apply(base, outside));
        ModelDelta unknown = ModelDelta.newBuilder(outside).setTensors(List.of(ModelRecords.whole("nope_W", new float[1]))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRecords.apply(base, unknown));
        assertTrue(e.getMessage().contains("nope_W"), e.getMessage());
    }

    /** Six deltas from v5: rows of old and new users and items, users and items added in several, a head, popularity. */
    static List<ModelDelta> chain(ServedModel base, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        List<ModelDelta> out = new ArrayList<>();
        int users = base.users().size();
        int items = base.items().size();
        for (int k = 0; k < 6; k++) {
            List<String> newUsers = k % 2 == 0 ? List.of("n" + k) : List.of();
            List<String> newItems = k % 3 == 0 ? List.of("m" + k, "m" + k + "b") : List.of();
            users += newUsers.size();
            items += newItems.size();
            int[] userRows = {rnd.nextInt(users), users - 1};
            int[] itemRows = {rnd.nextInt(items), items - 1};
            float[] gu = new float[users * 4];
            float[] gi = new float[items * 4];
            float[] bias = new float[items];
            for (int j = 0; j < gu.length; j++) {
                gu[j] = (float) rnd.nextGaussian();
            }
            for (int j = 0; j < gi.length; j++) {
                gi[j] = (float) rnd.nextGaussian();
            }
            for (int j = 0; j < bias.length; j++) {
                bias[j] = (float) rnd.nextGaussian();
            }
            List<io.xmrec.schemas.TensorRows> tensors = new ArrayList<>(List.of(
                    ModelRecords.rows(NetShape.GMF_USER, gu, 4, userRows),
                    ModelRecords.rows(NetShape.GMF_ITEM, gi, 4, itemRows),
                    ModelRecords.rows(NetShape.ITEM_BIAS, bias, 1, itemRows)));
            if (k == 3) {
                float[] head = base.net().get(NetShape.headWeight(1)).clone();
                for (int j = 0; j < head.length; j++) {
                    head[j] = (float) rnd.nextGaussian();
                }
                tensors.add(ModelRecords.whole(NetShape.headWeight(1), head));
            }
            out.add(ModelDelta.newBuilder().setMarket("xx").setVersion(6 + k).setBaseVersion(5 + k).setTrunkVersion(1)
                    .setKind(k == 3 ? "head" : "rows").setNewUsers(newUsers).setNewItems(newItems).setTensors(tensors)
                    .setCatalogue(List.of(items - 1)).setPopularityItems(List.of(rnd.nextInt(items)))
                    .setPopularityCounts(List.of(1 + rnd.nextInt(3)))
                    .setValidationNdcg10(k == 3 ? 0.41 : null).setCreatedAt(Instant.ofEpochMilli(3000 + k)).build());
        }
        return out;
    }

    @Test
    void aChainOfDeltasAppliedTogetherIsWhatApplyingThemOneByOneMakes() {
        ServedModel base = model(5, 10, 16, 2);
        float[] before = base.net().get(NetShape.GMF_USER).clone();
        List<ModelDelta> chain = chain(base, 9);
        ServedModel oneByOne = base;
        for (ModelDelta d : chain) {
            oneByOne = ModelRecords.apply(oneByOne, d);
        }
        ServedModel together = ModelRecords.apply(base, chain);
        assertEquals(11, together.version());
        assertEquals(oneByOne.users().size(), together.users().size());
        for (int u = 0; u < together.users().size(); u++) {
            assertEquals(oneByOne.users().id(u), together.users().id(u));
        }
        for (int i = 0; i < together.items().size(); i++) {
            assertEquals(oneByOne.items().id(i), together.items().id(i));
        }
        for (int t = 0; t < together.net().tensors(); t++) {
            assertArrayEquals(oneByOne.net().values(t), together.net().values(t), together.net().name(t));
        }
        assertArrayEquals(oneByOne.catalogue(), together.catalogue());
        assertArrayEquals(oneByOne.popularity(), together.popularity());
        assertEquals(oneByOne.meta().validationNdcg10(), together.meta().validationNdcg10());
        assertEquals(oneByOne.meta().createdAtMillis(), together.meta().createdAtMillis());
        assertArrayEquals(before, base.net().get(NetShape.GMF_USER), "the base is untouched");
        // a delta that does not fit refuses the whole chain, naming it; the base stays as it was
        List<ModelDelta> bad = new ArrayList<>(chain);
        bad.set(4, ModelDelta.newBuilder(chain.get(4)).setTensors(List.of(ModelRecords.rows(NetShape.GMF_USER,
                new float[400], 4, new int[] {99}))).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRecords.apply(base, bad));
        assertTrue(e.getMessage().contains("v10"), e.getMessage());
        assertArrayEquals(before, base.net().get(NetShape.GMF_USER));
        // and a chain with a gap is refused
        assertThrows(IllegalArgumentException.class, () -> ModelRecords.apply(base, List.of(chain.get(0), chain.get(2))));
    }
}
