package io.xmrec.model.updater;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a market's next snapshot is due: once its deltas add up to the last snapshot, or at the count and time caps. */
class SnapshotRuleTest {

    private static MarketUpdater market(UpdaterSettings s) {
        MarketUpdater mu = new MarketUpdater("jp", s, null, "{}", line -> { });
        mu.model = NcfModel.fresh(NcfArchitecture.GMF, IdVocabulary.ofRows(List.of("jp/u")), IdVocabulary.ofRows(List.of("i")),
                NcfOptions.defaults(), List.of("jp"), false);
        mu.lastSnapshotBytes = 100_000;
        return mu;
    }

    @Test
    void aSnapshotIsDueOnceTheDeltasAddUpToTheLastSnapshotNotBefore() {
        MarketUpdater mu = market(UpdaterSettings.defaults());
        long now = mu.lastSnapshotNanos + 1;
        assertFalse(mu.snapshotDue(now), "no delta since the snapshot");
        mu.deltasSinceSnapshot = 40;
        mu.deltaBytesSinceSnapshot = 99_999;
        assertFalse(mu.snapshotDue(now), "the deltas are still smaller than the snapshot");
        mu.deltaBytesSinceSnapshot = 100_000;
        assertTrue(mu.snapshotDue(now));
    }

    @Test
    void manySmallDeltasOrALongTimeBringASnapshotToo() {
        MarketUpdater mu = market(UpdaterSettings.defaults().withSnapshots(Duration.ofMinutes(30), 50));
        mu.deltaBytesSinceSnapshot = 1_000;
        mu.deltasSinceSnapshot = 49;
        long now = mu.lastSnapshotNanos + 1;
        assertFalse(mu.snapshotDue(now));
        mu.deltasSinceSnapshot = 50;
        assertTrue(mu.snapshotDue(now), "the count cap");
        mu.deltasSinceSnapshot = 1;
        assertTrue(mu.snapshotDue(now + Duration.ofMinutes(30).toNanos()), "the time cap");
    }
}
