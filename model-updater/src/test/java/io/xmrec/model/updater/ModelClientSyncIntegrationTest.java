package io.xmrec.model.updater;

import io.xmrec.core.net.NetShape;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a new owner of a market relies on: a client that has synced holds the newest version published,
 * deltas included. A new client's deltas wait (paused) while it reads the snapshots; their position then
 * was where the consumer would reset to, the end, and a sync right after start could end there with the
 * snapshot's version (a take-over at v1 after v3 had been published).
 */
class ModelClientSyncIntegrationTest {

    private static ModelDelta rows(ServedModel base, long version) {
        float[] table = base.net().get(NetShape.GMF_USER).clone();
        java.util.Arrays.fill(table, 0, 16, version);
        return ModelDelta.newBuilder().setMarket("big").setVersion(version).setBaseVersion(version - 1).setTrunkVersion(1)
                .setKind("rows").setNewUsers(List.of()).setNewItems(List.of())
                .setTensors(List.of(ModelRecords.rows(NetShape.GMF_USER, table, 16, new int[] {0})))
                .setCatalogue(List.of()).setPopularityItems(List.of()).setPopularityCounts(List.of())
                .setValidationNdcg10(null).setCreatedAt(Instant.ofEpochMilli(version)).build();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aClientThatSyncedRightAfterItsStartHoldsTheNewestVersionDeltasIncluded() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("big"), 1);
             Publisher publisher = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES);
             Publisher.Channel channel = publisher.open("big")) {
            ServedModel v1 = LargeModelIntegrationTest.market(1, 2_000, 3_000);
            channel.snapshot(ModelRecords.record(v1, "nmf"));
            channel.delta(rows(v1, 2));
            channel.delta(rows(v1, 3));
            for (int k = 0; k < 10; k++) { // the window was tens of milliseconds wide: several clients
                try (ModelClient fresh = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
                    assertTrue(fresh.sync(Duration.ofSeconds(30)), "synced");
                    assertEquals(3, fresh.model("big").version(), "client " + k + " after its sync");
                }
            }
        }
    }
}
