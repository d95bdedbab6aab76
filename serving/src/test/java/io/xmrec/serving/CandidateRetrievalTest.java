package io.xmrec.serving;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Top k over a catalogue too large to score whole: retrieved candidates, then the full network. */
class CandidateRetrievalTest {

    private static ServedModel market(NetShape shape, int users, int items) {
        List<String> u = new ArrayList<>();
        for (int k = 0; k < users; k++) {
            u.add("u" + k);
        }
        List<String> it = new ArrayList<>();
        for (int k = 0; k < items; k++) {
            it.add("i" + k);
        }
        ModelMeta meta = ModelMeta.builder("big", 1, 1).build();
        return new ServedModel(meta, Net.init(shape, users, items, 0.5, 3), IdVocabulary.ofRows(u),
                IdVocabulary.ofRows(it), new int[0], new int[0]);
    }

    @Test
    void aSmallCatalogueIsRankedExhaustively() {
        ServedModel m = market(NetShape.nmf(8, 8, List.of(16, 8)).withItemBias(true), 5, ServedModel.EXHAUSTIVE_UP_TO);
        for (int user = 0; user < 5; user++) {
            assertEquals(m.exhaustive(user, 10, i -> false, new int[0]), m.recommend(user, 10, i -> false));
        }
    }

    @Test
    void retrievalFindsTheGmfModelsExactTopAndExcludesWhatItMust() {
        // a GMF model's score is monotone in the retrieval score: the candidates hold the exact top k
        ServedModel m = market(NetShape.gmf(8).withItemBias(true), 4, 60_000);
        for (int user = 0; user < 4; user++) {
            List<ServedModel.Scored> want = m.exhaustive(user, 10, i -> i % 3 == 0, new int[0]);
            List<ServedModel.Scored> got = m.recommend(user, 10, i -> i % 3 == 0);
            assertEquals(want, got, "user " + user);
            assertTrue(got.stream().noneMatch(s -> Integer.parseInt(s.item().substring(1)) % 3 == 0));
        }
    }

    @Test
    void retrievalOnAnNmfReturnsKFullNetworkScoresOfItsCandidates() {
        ServedModel m = market(NetShape.nmf(8, 8, List.of(16, 8)).withItemBias(true), 3, 30_000);
        List<ServedModel.Scored> got = m.recommend(1, 10, i -> false);
        assertEquals(10, got.size());
        int[] cand = m.retrieve(1, ServedModel.CANDIDATES, i -> false, new int[0]);
        assertEquals(ServedModel.CANDIDATES, cand.length);
        float[] full = m.score(1, cand);
        float best = Float.NEGATIVE_INFINITY;
        for (float f : full) {
            best = Math.max(best, f);
        }
        assertEquals(best, got.get(0).score(), 0f, "the best candidate by the full network comes first");
    }
}
