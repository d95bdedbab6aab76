package io.xmrec.app;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.RegistryServer;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The part of the fault bench (bench/faults.sh) that fits CI: three broker processes (replication 3,
 * min ISR 2), the holdout job and an updater as processes of the packaged app, in and jp replayed, and
 * the leader of {@code xmrec.train} SIGKILLed mid-stream and restarted. Nothing is lost or written twice:
 * input = train + held out + dead letters, the final holdouts equal the offline split, and each
 * market's model versions rise without a repeat.
 */
class BrokerFailureIT {

    /** The holdout job's checkpoint interval: its transactions commit at checkpoints, and the audit waits for one. */
    private static final Duration CHECKPOINTS = Duration.ofSeconds(2);

    private final List<Process> roles = new ArrayList<>();


    private static boolean await(int seconds, BooleanSupplier ok) throws InterruptedException {
        return io.xmrec.core.testing.Await.until(Duration.ofSeconds(seconds), ok);
    }

    private Process role(Path logs, String name, String bootstrap, String registry, String... args) throws IOException {
        List<String> cmd = TestJvms.quickApp("768m");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("XMREC_"));
        pb.environment().put("XMREC_BOOTSTRAP", bootstrap);
        pb.environment().put("XMREC_REGISTRY", registry);
        Process p = pb.start();
        roles.add(p);
        return p;
    }

    @Test
    void theLeaderOfTheTrainingTopicKilledMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
        Path dir = Files.createTempDirectory("xmrec-broker-failure");
        Path lib = Path.of(System.getProperty("xmrec.app.jar", "target/xmrec.jar")).toAbsolutePath().getParent().resolve("lib");
        int[] brokerPorts = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        int[] controllerPorts = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
        Map<String, MarketData> data = new LinkedHashMap<>();
        for (String m : List.of("in", "jp")) {
            data.put(m, TestData.market(m));
        }
        long events = data.values().stream().mapToLong(m -> m.interactions().size()).sum();
        try (BrokerProcesses brokers = new BrokerProcesses(dir, lib, List.of("127.0.0.1", "127.0.0.1", "127.0.0.1"),
                brokerPorts, controllerPorts, b -> List.of())) {
            brokers.format();
            for (int b = 1; b <= 3; b++) {
                brokers.start(b, TestJvms.QUICK);
            }
            String bootstrap = brokers.bootstrap();
            assertTrue(await(120, () -> {
                try (Admin a = brokers.admin()) {
                    return a.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == 3;
                } catch (Exception e) {
                    return false;
                }
            }), "three brokers did not form a cluster in 120 s: see " + dir);
            try (RegistryServer registry = RegistryServer.start(bootstrap, "127.0.0.1", 0, Map.of())) {
                try {
                TopicSetup.create(bootstrap, Map.of(), List.of("in", "jp"), 2);
                role(dir, "holdouts", bootstrap, registry.url(), "holdouts", "--checkpoint-dir", dir.resolve("checkpoints").toString(),
                        "--checkpoint-interval", Long.toString(CHECKPOINTS.toSeconds()));
                role(dir, "updater", bootstrap, registry.url(), "updater", "--session-timeout-ms", "10000",
                        "--refresh-growth", "0", "--method", "forec"); // what is tested is the brokers' failure, not
                                                                      // the retrains or the per-market choice

                // in and jp span ten years: at 250 days/s the replay takes about 15 s
                PrintWriter replayLog = new PrintWriter(Files.newBufferedWriter(dir.resolve("replay.log")), true);
                CompletableFuture<Void> replay = CompletableFuture.runAsync(() -> IngestCommand.ingest(bootstrap, Map.of(),
                        registry.url(), data, 250, replayLog)); // its lines say whether a producer was replaced
                Thread.sleep(6_000);
                assertTrue(await(60, () -> {
                    try (Admin a = brokers.admin()) {
                        return a.listTopics().names().get(5, TimeUnit.SECONDS).contains(Topics.TRAIN);
                    } catch (Exception e) {
                        return false;
                    }
                }), "no training topic");
                int leader = brokers.leaderOf(Topics.TRAIN, 0);
                brokers.kill(leader);
                Thread.sleep(5_000);
                brokers.start(leader, TestJvms.QUICK);
                replay.get(180, TimeUnit.SECONDS);
                assertTrue(await(180, brokers::fullyReplicated), "broker " + leader + " did not rejoin every ISR: see " + dir);
                for (Process p : roles) {
                    assertTrue(p.isAlive(), "a role died: see " + dir);
                }

                PipelineAudit.Result r = PipelineAudit.audit(bootstrap, registry.url(), data, events, CHECKPOINTS);
                assertEquals(events, r.input() - r.redelivered(), "every review on the review topics once, beside the "
                        + r.redelivered() + " the replay sent again and the holdout job dropped as duplicates");
                assertEquals(r.input(), r.train() + r.heldOut() + r.dead(), "input = train + held out + dead letters");
                assertEquals(0, r.duplicateTrain(), "no training interaction twice");
                assertEquals(0, r.splitMismatches(), "the final holdouts and training equal the offline split: "
                        + r.firstProblems());
                assertEquals(0, r.versionProblems(), "model versions rise without a repeat: " + r.versions());
                } finally {
                    stopRoles(); // before the brokers go
                }
            }
        }
    }

    private void stopRoles() throws InterruptedException {
        TestJvms.stop(roles);
    }
}
