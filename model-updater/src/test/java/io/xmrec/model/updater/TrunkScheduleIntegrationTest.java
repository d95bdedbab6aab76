package io.xmrec.model.updater;

import io.xmrec.core.testing.Await;
import io.xmrec.core.testing.TestData;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.serving.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The slow path's schedule on a real broker, driven step by step as the updater's poll thread drives it. */
class TrunkScheduleIntegrationTest {

    private static final UpdaterInput.Listener NOBODY = new UpdaterInput.Listener() {
        @Override
        public void trained(String market, String user, String item, boolean newItem, String partition, long offset,
                            long promotedMillis, long now) {
        }

        @Override
        public void sold(String market, List<String> items, long now) {
        }

        @Override
        public void fork(ServedModel fork, long now) {
        }
    };

    private static void pollUntil(UpdaterInput input, BooleanSupplier done, List<String> log) throws InterruptedException {
        Await.require("the input", Duration.ofSeconds(60), () -> {
            input.poll(Duration.ofMillis(100));
            return done.getAsBoolean();
        }, () -> "log:\n" + String.join("\n", log));
    }

    /**
     * Found by the demo at 100x (full speed): the input grew past the growth factor while the bootstrap trunk trained,
     * so the next trunk was due as soon as it ended, before its forks were read back on the fork topic; numbered from
     * the forks read, it was trunk v1 again, trained as a bootstrap a second time.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTrunkDueBeforeTheLastOnesForksAreReadBackIsTheNextVersionAndNoBootstrap() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        UpdaterSettings s = ContinualUpdaterIntegrationTest.quick().withBootstrap(1, 1)
                .withRetrain(0.25, Duration.ofHours(1), Duration.ZERO); // due on growth only
        UpdaterCounters counters = new UpdaterCounters();
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of("in"), 1);
             StreamFeed feed = new StreamFeed(c.bootstrap(), c.serde());
             Publisher publisher = new Publisher(c.bootstrap(), Map.of(), c.serde(), TopicSetup.MODEL_MAX_MESSAGE_BYTES);
             UpdaterInput input = new UpdaterInput(c.bootstrap(), Map.of(), c.serde(), counters, log::add, NOBODY);
             TrunkSchedule trunk = new TrunkSchedule(s, publisher, counters, "{}", log::add)) {
            feed.load(TestData.market("in"));
            feed.holdouts(k -> true);
            long first = feed.train(0.5, k -> true);
            pollUntil(input, () -> input.replayed() && input.interactions() == first, log);
            trunk.startIfDue(System.nanoTime(), input);
            Await.require("trunk v1", Duration.ofSeconds(60), () -> !trunk.training() && trunk.version() == 1,
                    () -> String.join("\n", log));

            // twice the data: due on growth at once, while trunk v1's forks have not been told to the schedule
            long second = feed.train(1.0, k -> true);
            pollUntil(input, () -> input.interactions() == first + second, log);
            trunk.startIfDue(System.nanoTime(), input);
            Await.require("the next trunk", Duration.ofSeconds(60), () -> !trunk.training() && trunk.version() == 2,
                    () -> String.join("\n", log));
            assertEquals(1, log.stream().filter(l -> l.startsWith("updater: trunk v1 on")).count(), String.join("\n", log));
            assertTrue(log.stream().anyMatch(l -> l.startsWith("updater: trunk v2 on") && !l.contains("as bootstrap")),
                    String.join("\n", log));
        }
    }
}
