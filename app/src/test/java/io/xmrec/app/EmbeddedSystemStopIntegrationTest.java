package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.model.updater.UpdaterSettings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stop at any moment: during the replay, and while the first trunk trains. Every part is down
 * within ten seconds, in order, with one line each and no stack trace on stderr; the training is
 * cancelled, not finished.
 */
class EmbeddedSystemStopIntegrationTest {

    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w$.]+\\(|^Caused by: ");

    private record Run(List<String> log, String stderr, double stopSeconds, ReplayPublisher.Summary replay) {
    }

    /** Starts the system on in and jp, replays at {@code speed}, stops once {@code when} holds. */
    private static Run stopWhen(UpdaterSettings settings, double speed, java.util.function.Function<List<String>, Boolean> when)
            throws Exception {
        return stopWhen(settings, speed, when, false);
    }

    /**
     * As above; with {@code lateInterrupt} the closing thread carries an interrupt when it starts
     * closing, as the demo's thread did when the stop signal's interrupt landed after it had settled.
     */
    private static Run stopWhen(UpdaterSettings settings, double speed, java.util.function.Function<List<String>, Boolean> when,
                                boolean lateInterrupt) throws Exception {
        Map<String, MarketData> data = new LinkedHashMap<>();
        data.put("in", TestData.market("in"));
        data.put("jp", TestData.market("jp"));
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        PrintStream oldErr = System.err;
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        double stopSeconds;
        AtomicReference<ReplayPublisher.Summary> summary = new AtomicReference<>();
        System.setErr(err);
        try {
            EmbeddedSystem sys = EmbeddedSystem.start(List.of("in", "jp"), settings, "127.0.0.1", 0, line -> {
                log.add(line);
                err.println(line);
            });
            StringWriter ingestLog = new StringWriter();
            Thread replay = new Thread(() -> summary.set(IngestCommand.ingest(sys.bootstrapServers(), Map.of(),
                    sys.registryUrl(), data, speed, new PrintWriter(ingestLog, true))), "replay");
            replay.start();
            await(() -> when.apply(new ArrayList<>(log)), 180, log); // a copy: the system adds lines meanwhile
            long t0 = System.nanoTime();
            replay.interrupt(); // what the demo's stop does to its replay
            if (lateInterrupt) {
                Thread.currentThread().interrupt();
            }
            sys.close();
            if (lateInterrupt) {
                assertTrue(Thread.interrupted(), "the interrupt is kept for the caller once every part is closed");
            }
            replay.join(10_000);
            stopSeconds = (System.nanoTime() - t0) / 1e9;
            assertFalse(replay.isAlive(), "the replay still runs");
        } finally {
            System.setErr(oldErr);
        }
        String stderr = errBytes.toString(StandardCharsets.UTF_8);
        oldErr.print(stderr);
        return new Run(new ArrayList<>(log), stderr, stopSeconds, summary.get());
    }

    private static void await(BooleanSupplier c, int seconds, List<String> log) throws InterruptedException {
        io.xmrec.core.testing.Await.require("the run", java.time.Duration.ofSeconds(seconds), c, () -> "log: " + log);
    }

    private static void assertCleanStop(Run r) {
        assertTrue(r.stopSeconds() < 10, "down in " + r.stopSeconds() + " s");
        List<String> order = r.log().stream().filter(l -> l.startsWith("stopped: ")).map(l -> l.replaceAll(" \\(.*", ""))
                .toList();
        assertTrue(order.equals(List.of("stopped: holdout job", "stopped: updater", "stopped: evaluator",
                "stopped: registry", "stopped: broker")), "one line per part, in order: " + order);
        assertFalse(STACK_FRAME.matcher(r.stderr()).find(), "a stack trace on stderr:\n" + r.stderr());
    }

    @Test
    void aStopDuringTheReplayEndsEveryPartWithinSeconds() throws Exception {
        // a paced replay of the two markets' years takes minutes; stop it a few seconds in
        long[] started = {0};
        Run r = stopWhen(EmbeddedSystemIntegrationTest.quick(), 200, log -> {
            if (started[0] == 0) {
                started[0] = System.nanoTime();
            }
            return System.nanoTime() - started[0] > 4_000_000_000L;
        });
        assertTrue(r.replay() != null && r.replay().stopped(), "the replay stopped rather than finished: " + r.replay());
        assertCleanStop(r);
    }

    @Test
    void aStopDuringATrunkCancelsTheTrainingAndEndsEveryPartWithinSeconds() throws Exception {
        UpdaterSettings s = UpdaterSettings.defaults().withBootstrap(3000, 3); // a trunk of some seconds
        Run r = stopWhen(s, 0, log -> log.stream().anyMatch(l -> l.contains("updater: trunk v1 [")
                && l.contains(" training on ")));
        assertCleanStop(r);
        assertTrue(r.log().stream().anyMatch(l -> l.startsWith("updater: trunk v1 stopped") || l.startsWith(
                "updater: trunk v1 cancelled")), "the trunk was stopped: " + r.log());
        assertFalse(r.log().stream().anyMatch(l -> l.startsWith("updater: trunk v1 trained in")),
                "the trunk was finished: " + r.log());
    }

    @Test
    void aStopWhileTheCommandWaitsAfterTheReplayClosesEveryPartCleanly() throws Exception {
        // issue 29: the replay is over and the models are served; the stop's interrupt reaches the
        // demo's thread after it began closing, and every close that joined a thread threw (a market's first trunk
        // may be v1 or a later one, when its holdouts came after v1 started)
        Run r = stopWhen(EmbeddedSystemIntegrationTest.quick(), 0, log -> log.stream().filter(
                l -> l.matches("updater: (in|jp) v\\d+ from trunk v\\d+: .*")).map(l -> l.substring(9, 11)).distinct()
                .count() == 2, true);
        assertTrue(r.replay() != null && !r.replay().stopped(), "the replay finished before the stop: " + r.replay());
        assertCleanStop(r);
        assertFalse(r.log().stream().anyMatch(l -> l.contains("interrupted") || l.contains("with an error")), "" + r.log());
    }
}
