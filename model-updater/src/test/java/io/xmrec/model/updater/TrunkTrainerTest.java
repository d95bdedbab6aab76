package io.xmrec.model.updater;

import io.xmrec.model.recipe.TrainingSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrunkTrainerTest {

    private static TrunkTrainer trainer(int epochs, int bootstrapEpochs) {
        UpdaterSettings d = UpdaterSettings.defaults();
        TrainingSettings t = d.training();
        t = new TrainingSettings(t.ncf().withEpochs(epochs), t.maml(), t.forec().withEpochs(epochs));
        return new TrunkTrainer(d.withTraining(t).withBootstrap(1000, bootstrapEpochs), line -> { });
    }

    @Test
    void theFirstTrunkTrainsFewerEpochsThanTheRecipeNeverMore() {
        TrunkTrainer usual = trainer(50, 5);
        assertEquals(5, usual.training(true).ncf().epochs());
        assertEquals(5, usual.training(true).forec().epochs());
        assertEquals(50, usual.training(false).ncf().epochs());
        assertTrue(usual.shortened(true));

        TrunkTrainer large = trainer(1, 5); // a budget for data many times XMarket's size
        assertEquals(1, large.training(true).ncf().epochs());
        assertEquals(1, large.training(true).forec().epochs());
        assertFalse(large.shortened(true), "a bootstrap as long as the later trunks is not shortened");
    }

    @Test
    void aTrunkServingSingleMarketNmfHandsItOverAsTheReferenceWithoutTrainingItAgain() {
        UpdaterSettings d = UpdaterSettings.defaults().withMethod("nmf");
        TrainingSettings t = d.training();
        t = new TrainingSettings(t.ncf().withEpochs(1).withPatience(0), t.maml(), t.forec().withEpochs(1));
        TrunkTrainer trainer = new TrunkTrainer(d.withTraining(t).withBootstrap(1000, 0), line -> { });
        java.util.List<io.xmrec.core.holdout.MarketSplit> splits = new java.util.ArrayList<>();
        for (String market : java.util.List.of("us", "es-b2b")) {
            java.util.List<io.xmrec.core.data.Interaction> xs = new java.util.ArrayList<>();
            for (int u = 0; u < 30; u++) {
                for (int k = 0; k < 6; k++) {
                    xs.add(new io.xmrec.core.data.Interaction("u" + u, "i" + (u * 7 + k * 3) % 40, 5f, 100 + k, k));
                }
            }
            splits.add(new io.xmrec.core.holdout.LeaveOneOutSplitter(3).split(market, xs));
        }
        java.util.Map<String, io.xmrec.model.NcfModel> served = new java.util.HashMap<>();
        java.util.Map<String, io.xmrec.model.NcfModel> references = new java.util.HashMap<>();
        trainer.train(1, splits, java.util.Map.of(), false, new TrunkTrainer.Output() {
            @Override
            public void forks(TrunkTrainer.Trunk trunk) {
                served.putAll(trunk.models());
            }

            @Override
            public void reference(String market, io.xmrec.model.NcfModel model, double seconds) {
                references.put(market, model);
            }
        });
        assertEquals(java.util.Set.of("us", "es-b2b"), references.keySet());
        for (String market : references.keySet()) {
            assertSame(served.get(market), references.get(market), market);
        }
    }
}
