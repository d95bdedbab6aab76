package io.xmrec.model.updater;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No 64 MiB wall: a market whose model is larger than a record may be is published in parts in one
 * transaction and loaded whole; a client that starts after several versions of changing size has
 * the newest and scores exactly like one that followed them all.
 */
class LargeModelIntegrationTest {

    static final NetShape SHAPE = NetShape.nmf(16, 16, List.of(32, 64, 32, 16)).withItemBias(true);

    /** A market of {@code users} users (ids a late client must get in order) with random weights. */
    static ServedModel market(long version, int users, int items) {
        String[] u = new String[users];
        for (int k = 0; k < users; k++) {
            u[k] = "U" + Integer.toString(k, 36);
        }
        String[] it = new String[items];
        for (int k = 0; k < items; k++) {
            it[k] = "I" + Integer.toString(k, 36);
        }
        Net net = Net.init(SHAPE, users, items, 0.1, version);
        int[] catalogue = new int[items];
        int[] pop = new int[items];
        for (int k = 0; k < items; k++) {
            catalogue[k] = k;
            pop[k] = items - k;
        }
        ModelMeta meta = ModelMeta.builder("big", version, 1).createdAtMillis(System.currentTimeMillis())
                .provenance("{\"recipe\":\"nmf\"}").build();
        return new ServedModel(meta, net, IdVocabulary.ofRows(List.of(u)), IdVocabulary.ofRows(List.of(it)), catalogue, pop);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aModelOverSixtyFourMebibytesIsPublishedInPartsAndALateClientScoresLikeAFollower() throws Exception {
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("big"), 2);
             ModelClient follower = new ModelClient(c.bootstrap(), Map.of(), c.serde());
             Publisher publisher = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES);
             Publisher.Channel channel = publisher.open("big")) {
            // v1 over the record limit, v2 much smaller (fewer parts: v1's last parts stay behind), v3 large again
            Publisher.Sent first = channel.snapshot(ModelRecords.record(market(1, 520_000, 30_000), "nmf"));
            assertTrue(first.bytes() > TopicSetup.MODEL_MAX_MESSAGE_BYTES, "v1 is " + first.bytes() + " bytes");
            assertTrue(first.records() > 8, "v1 in " + first.records() + " records");
            assertNotNull(follower.await("big", 1, Duration.ofSeconds(120)));
            channel.snapshot(ModelRecords.record(market(2, 1_000, 500), "nmf"));
            assertNotNull(follower.await("big", 2, Duration.ofSeconds(60)));
            ServedModel v3 = market(3, 300_000, 40_000);
            Publisher.Sent third = channel.snapshot(ModelRecords.record(v3, "nmf"));
            assertTrue(third.records() > 1, "v3 in " + third.records() + " records");
            ServedModel followed = follower.await("big", 3, Duration.ofSeconds(120));
            assertNotNull(followed);
            try (ModelClient late = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
                ServedModel loaded = late.await("big", 3, Duration.ofSeconds(120));
                assertNotNull(loaded, "the late client has v3");
                assertEquals(3, late.model("big").version());
                assertEquals(v3.users().ids(), loaded.users().ids());
                int[] items = new int[500];
                for (int k = 0; k < items.length; k++) {
                    items[k] = k * 79;
                }
                for (int user : new int[]{0, 1, 150_001, 299_999}) {
                    float[] want = v3.score(user, items);
                    assertArrayEquals(want, followed.score(user, items), "follower, user " + user);
                    assertArrayEquals(want, loaded.score(user, items), "late client, user " + user);
                }
            }
        }
    }
}
