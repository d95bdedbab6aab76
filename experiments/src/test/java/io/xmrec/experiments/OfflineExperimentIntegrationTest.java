package io.xmrec.experiments;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.Split;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.model.NcfOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End to end on the real `in` market: NMF trained for a couple of epochs must beat popularity. */
class OfflineExperimentIntegrationTest {

    @Test
    void nmfOnTheInMarketBeatsPopularityOnTest() {
        Map<String, MarketData> data = Map.of("in", TestData.market("in"));
        NcfOptions o = NcfOptions.paper().withEpochs(2).withBatchSize(256);
        OfflineConfig c = new OfflineConfig("in", List.of(), List.of("pop", "nmf"),
                new TrainingSettings(o, MamlOptions.defaults(), ForecFork.Options.defaults()),
                new OfflineConfig.Protocol(7, 99, true, null), OfflineConfig.Outputs.NONE, false);
        List<String> log = new ArrayList<>();
        OfflineExperiment.Outcome out = new OfflineExperiment(c, log::add).run(data);
        MethodResult pop = find(out, "pop", Split.TEST);
        MethodResult nmf = find(out, "nmf", Split.TEST);
        assertEquals(239, nmf.sampled().users());
        assertTrue(nmf.sampled().ndcg() > pop.sampled().ndcg(),
                "NMF test nDCG@10 " + nmf.sampled().ndcg() + " vs popularity " + pop.sampled().ndcg());
        assertTrue(nmf.full() != null && nmf.full().users() == 239);
        assertTrue(nmf.samplesPerSecond() > 0 && nmf.pipelineSeconds() >= nmf.trainSeconds());
        assertTrue(log.stream().anyMatch(l -> l.contains("[in nmf] epoch 2/2")), log.toString());
    }

    @Test
    void shortForecRunOnInWithSourceJpBeatsPopularityOnValidation(@TempDir Path cache) {
        Map<String, MarketData> data = Map.of("in", TestData.market("in"), "jp", TestData.market("jp"));
        NcfOptions o = NcfOptions.paper().withEpochs(2).withBatchSize(256);
        OfflineConfig c = new OfflineConfig("in", List.of("jp"), List.of("pop", "maml", "forec",
                "forec-src-head"), new TrainingSettings(o, MamlOptions.defaults().withMaxMetaSteps(50),
                ForecFork.Options.defaults().withEpochs(2).withBatchSize(64)),
                new OfflineConfig.Protocol(7, 99, false, null), new OfflineConfig.Outputs(null, cache), false);
        List<String> log = new ArrayList<>();
        OfflineExperiment.Outcome out = new OfflineExperiment(c, log::add).run(data);
        MethodResult pop = find(out, "pop", Split.VALIDATION);
        MethodResult forec = find(out, "forec", Split.VALIDATION);
        MethodResult maml = find(out, "maml", Split.VALIDATION);
        assertTrue(forec.sampled().ndcg() > pop.sampled().ndcg(),
                "FOREC valid nDCG@10 " + forec.sampled().ndcg() + " vs popularity " + pop.sampled().ndcg());
        assertTrue(maml.metaStepsPerSecond() > 0);
        assertTrue(forec.pipelineSeconds() > forec.trainSeconds(), "the pipeline includes NMF++ and MAML");
        assertTrue(log.stream().anyMatch(l -> l.contains("[in maml] epoch 1/1: 50 meta-steps")), log.toString());
        // FOREC with the head of a fork fine-tuned on jp first: same trunk, jp's fork trained, then in's
        MethodResult srcHead = find(out, "forec-src-head", Split.VALIDATION);
        assertTrue(srcHead.sampled().ndcg() > pop.sampled().ndcg(), "source-head FOREC " + srcHead.sampled().ndcg());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("[in forec-src-head] fine-tuned on jp")), log.toString());
        assertTrue(srcHead.trainSeconds() > 0 && srcHead.sampled().ndcg() != forec.sampled().ndcg(),
                "a different start gives a different model: " + srcHead.sampled().ndcg() + " vs " + forec.sampled().ndcg());

        // jp as target with in as source has the same trunk: it comes from the cache, not from training
        OfflineConfig jp = new OfflineConfig("jp", List.of("in"), List.of("maml"), c.settings(), c.protocol(), c.outputs(),
                false);
        List<String> log2 = new ArrayList<>();
        MethodResult jpMaml = find(new OfflineExperiment(jp, log2::add).run(data), "maml", Split.VALIDATION);
        assertTrue(log2.stream().anyMatch(l -> l.startsWith("[maml] loaded from the trunk cache")), log2.toString());
        assertTrue(log2.stream().noneMatch(l -> l.contains("epoch")), "nothing is trained again: " + log2);
        assertEquals(maml.trainSeconds(), jpMaml.trainSeconds(), 1e-9, "the cost recorded when it was trained");
        assertEquals(maml.pipelineSeconds(), jpMaml.pipelineSeconds(), 1e-9);
    }

    private static MethodResult find(OfflineExperiment.Outcome o, String method, Split split) {
        return o.results().stream().filter(r -> r.method().equals(method) && r.split() == split).findFirst()
                .orElseThrow();
    }
}
