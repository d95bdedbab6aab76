package io.xmrec.model.updater;

import io.xmrec.model.recipe.TrainingSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
