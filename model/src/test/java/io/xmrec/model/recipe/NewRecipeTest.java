package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.model.MamlTrainerTest;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new model type is one recipe: a GMF of its own width with an item bias, registered here, is
 * trained through the recipe interface the offline runner and the updater use, published as a
 * record and served from it, with no change to the codec, the updater or serving.
 */
class NewRecipeTest {

    /** The second architecture: a GMF of dimension 24 with a bias per item, on the target alone. */
    static final class WideGmf implements Recipe {
        @Override
        public String method() {
            return "gmf-24";
        }

        @Override
        public Trained train(Context c) {
            NcfOptions base = c.settings().ncf();
            NcfOptions o = base.toBuilder().gmfDim(24).epochs(2).itemBias(true).patience(0).build();
            NcfModel m = NcfModel.fresh(NcfArchitecture.GMF, c.data().users(), c.data().items(), o,
                    List.of(c.target()));
            NcfTrainer.TrainingRun run = new NcfTrainer(o, null).train(m, c.data());
            return Trained.network(run.model(), run.seconds(), run.samplesPerSecond(), 0);
        }
    }

    @Test
    void aRecipeRegisteredInOnePlaceIsTrainedPublishedAndServed() throws Exception {
        try (AutoCloseable registered = Recipes.registerUntilClosed(new WideGmf())) {
            trainPublishAndServe();
        }
        assertFalse(Recipes.methods().contains("gmf-24"), "the registry is left as the test found it");
    }

    private static void trainPublishAndServe() {
        assertTrue(Recipes.methods().contains("gmf-24"));
        assertEquals(List.of("gmf-24"), Recipes.chain("gmf-24"));
        CrossMarketDataset d = MamlTrainerTest.twoMarkets().restrictedTo(List.of("aa"));
        Trained t = Recipes.get("gmf-24").train(new Recipe.Context(d, TrainingSettings.defaults(), Map.of(), s -> null,
                s -> { }));
        NcfModel model = t.model();
        assertEquals(24, model.net().shape().gmfDim());
        assertTrue(model.net().shape().itemBias());

        ModelMeta meta = ModelMeta.builder("aa", 1, 1).createdAtMillis(1L).provenance("{}").build();
        ServedModel served = ModelRecords.served(ModelRecords.record(MarketModels.served("aa", model, meta, new int[0],
                new int[0]), "gmf"));
        int[] pool = d.market("aa").itemPool();
        for (String user : served.users().ids()) {
            int u = model.users().require(CrossMarketDataset.userKey("aa", user));
            int[] us = new int[pool.length];
            java.util.Arrays.fill(us, u);
            float[] expected = model.score(us, pool);
            float[] got = served.score(served.userRow(user), pool);
            for (int k = 0; k < pool.length; k++) {
                assertEquals(expected[k], got[k], 1e-6, user);
            }
        }
    }
}
