package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForecForkTest {

    @TempDir
    Path tmp;

    static NcfModel trunk(CrossMarketDataset d) {
        NcfOptions o = NcfOptions.paper().withEpochs(2).withBatchSize(64);
        NcfModel gmf = new NcfTrainer(o, null).trainGmf(d).model();
        NcfModel mlp = new NcfTrainer(o, null).trainMlp(d, gmf).model();
        return new NcfTrainer(o, null).trainNmf(d, gmf, mlp).model();
    }

    /** A fork (seed 1) fine-tuned for two epochs on one market of {@code d}. */
    private static NcfModel fineTunedFork(NcfModel trunk, ForecFork.Options o, CrossMarketDataset d, String market) {
        NcfModel forec = ForecFork.fork(trunk, o, 1);
        new NcfTrainer(trunk.options().withEpochs(2).withBatchSize(32), null).train(forec, d.restrictedTo(List.of(market)));
        return forec;
    }

    private static Map<String, float[]> params(NcfModel m) {
        Map<String, float[]> out = new TreeMap<>();
        m.net().asMap().forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    @Test
    void forkHasTheHeadShapesAndFreezesExactlyTheTrunk() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = trunk(d);
        ForecFork.Options o = new ForecFork.Options(List.of(32), 0.01, 1e-3, 1024, 25); // the paper's 16-32-16 head
        NcfModel forec = ForecFork.fork(trunk, o, 1);
        Map<String, int[]> shapes = io.xmrec.core.net.NetFile.tensorShapes(forec.net());
        assertArrayEquals(new int[] {16, 32}, shapes.get("head_1_W"));
        assertArrayEquals(new int[] {32, 16}, shapes.get("head_2_W"));
        assertArrayEquals(new int[] {16, 1}, shapes.get("out_W"));
        List<String> owned = List.of("mlp_2_W", "mlp_2_b", "mlp_3_W", "mlp_3_b", "mlp_4_W", "mlp_4_b", "head_1_W", "head_1_b",
                "head_2_W", "head_2_b", "out_W", "out_b");
        assertEquals(owned, ForecFork.headTensors(forec.net().shape()));
        assertEquals(Set.copyOf(owned), forec.trainable(), "everything else is the frozen trunk");
        long headParams = 16 * 32 + 32 + 32 * 16 + 16;
        assertEquals(trunk.net().parameters() + headParams, forec.net().parameters());
        // every trunk tensor, the output included, starts from the trunk's
        trunk.net().asMap().forEach((name, v) -> assertArrayEquals(v, forec.net().get(name), name));
    }

    @Test
    void fineTuningLeavesFrozenParametersBitIdenticalAndChangesTheHead() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = trunk(d);
        NcfModel forec = ForecFork.fork(trunk, ForecFork.Options.defaults(), 1);
        Map<String, float[]> before = params(forec);
        NcfOptions ft = trunk.options().withEpochs(3).withBatchSize(32);
        new NcfTrainer(ft, null).train(forec, d.restrictedTo(List.of("aa")));
        Map<String, float[]> after = params(forec);
        Set<String> frozenPrefixes = Set.of("gmf_user_", "gmf_item_", "mlp_user_", "mlp_item_", "mlp_1_");
        int changed = 0;
        int frozenCount = 0;
        for (String k : before.keySet()) {
            boolean frozen = frozenPrefixes.stream().anyMatch(k::startsWith);
            if (frozen) {
                frozenCount++;
                assertArrayEquals(before.get(k), after.get(k), k + " is frozen but changed");
            } else if (!java.util.Arrays.equals(before.get(k), after.get(k))) {
                changed++;
            }
        }
        assertEquals(6, frozenCount, "4 embedding tables and mlp_1's W and b");
        assertEquals(12, changed, "W and b of mlp_2..4, head_1, head_2 and out must all move");
    }

    @Test
    void aFineTunedForkRoundTripsOnItsOwn() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = trunk(d);
        NcfModel forec = fineTunedFork(trunk, ForecFork.Options.defaults(), d, "aa");
        int[] u = {0, 1, 2, 3, 4, 5, 6, 7};
        int[] i = {0, 1, 2, 3, 4, 5, 6, 7};
        forec.save(tmp.resolve("forec"));
        assertArrayEquals(forec.score(u, i), NcfModel.load(tmp.resolve("forec")).score(u, i));
    }

    @Test
    void copyHeadMakesAnotherForkOfTheSameTrunkScoreAlikeAndRefusesOtherWidths() {
        CrossMarketDataset d = MamlTrainerTest.twoMarkets();
        NcfModel trunk = trunk(d);
        ForecFork.Options o = ForecFork.Options.defaults();
        NcfModel source = fineTunedFork(trunk, o, d, "bb");
        NcfModel target = ForecFork.fork(trunk, o, 2);
        int[] u = {0, 1, 2, 3, 4, 5, 6, 7};
        int[] i = {7, 6, 5, 4, 3, 2, 1, 0};
        assertFalse(java.util.Arrays.equals(source.score(u, i), target.score(u, i)), "a fresh head scores differently");
        assertTrue(ForecFork.copyHead(source, target, o));
        assertArrayEquals(source.score(u, i), target.score(u, i));
        NcfModel wider = ForecFork.fork(trunk, new ForecFork.Options(List.of(48), o.learningRate(), o.l2(), o.batchSize(),
                o.epochs()), 3);
        assertFalse(ForecFork.copyHead(source, wider, o));
    }
}
