package io.xmrec.app;

import io.xmrec.embedded.EmbeddedKafka;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.Await;
import io.xmrec.core.testing.TestData;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.RegistryServer;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The holdout job jar on a real Flink session cluster: a JobManager (standalone session entry point)
 * and a TaskManager, each its own JVM with Flink's own classes only (no xmrec, no Kafka connector:
 * those come from the job jar), the jar uploaded and started through Flink's REST API, reading
 * and writing the in-process broker of this JVM.
 */
class FlinkSessionClusterIT {


    @Test
    void holdoutJobJarRunsOnASessionClusterThroughTheRestApi() throws Exception {
        Path jar;
        try (var files = Files.list(Path.of("../stream-processors/target"))) {
            jar = files.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no job jar in ../stream-processors/target: package it first"));
        }
        MarketData in = TestData.market("in");
        Path dir = Files.createTempDirectory("xmrec-flink-session");
        List<String> cp = List.of(System.getProperty("java.class.path").split(File.pathSeparator));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of());
             FlinkSession flink = new FlinkSession(dir, cp, FreePorts.next(), FreePorts.next(), 2, TestJvms.QUICK)) {
            String b = kafka.bootstrapServers();
            TopicSetup.create(b, Map.of(), List.of("in"), 1);
            IngestCommand.ingest(b, Map.of(), registry.url(), Map.of("in", in), 0,
                    new java.io.PrintWriter(new java.io.StringWriter()));

            flink.startJobManager();
            flink.startTaskManager(0);
            flink.awaitTaskManagers(1, Duration.ofSeconds(120));
            String jarId = flink.upload(jar);
            String job = flink.run(jarId, "io.xmrec.stream.HoldoutJobMain", List.of("--bootstrap", b, "--registry",
                    registry.url(), "--checkpoint-seconds", "2", "--bounded"), 1, null);

            // bounded: it reads what is there, commits its transactions and finishes
            Await.until(Duration.ofSeconds(180), () -> Set.of("FINISHED", "FAILED", "CANCELED").contains(flink.state(job)));
            String state = flink.state(job);
            assertEquals("FINISHED", state, "job " + job + ":\n" + FlinkSession.tail(flink.jobManagerLog()) + "\n---\n"
                    + FlinkSession.tail(flink.taskManagerLog(0)));

            // what the job wrote: a holdout per user, every interaction but each user's last two in training
            Map<String, Integer> perUser = new HashMap<>();
            for (Interaction i : in.interactions()) {
                perUser.merge(i.user(), 1, Integer::sum);
            }
            long expectedTrain = perUser.values().stream().mapToLong(n -> Math.max(0, n - 2)).sum();
            Set<String> holdoutUsers = new HashSet<>();
            long[] train = {0};
            Map<String, Object> committed = Map.of("isolation.level", "read_committed");
            TopicReader.readToEnd(b, committed, Topics.HOLDOUTS, r -> holdoutUsers.add(r.key()));
            TopicReader.readToEnd(b, committed, Topics.TRAIN, r -> train[0]++);
            assertEquals(perUser.size(), holdoutUsers.size(), "a holdout per user of in");
            assertEquals(expectedTrain, train[0], "training interactions");
        }
    }
}
