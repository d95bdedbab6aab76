package io.xmrec.ingest.connect;

import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.embedded.EmbeddedKafka;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import io.xmrec.core.testing.Await;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.Herder;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The source connector in a real standalone Connect worker: stopped half way and restarted, no
 * line is lost or doubled, and malformed lines go to the dead-letter topic instead of failing the task.
 */
class XMarketSourceConnectorIntegrationTest {

    @Test
    void aRestartedWorkerResumesWithoutDuplicatesOrGaps(@TempDir Path tmp) throws Exception {
        MarketData in = TestData.market("in");
        MarketData jp = TestData.market("jp");
        Path dataDir = java.nio.file.Files.createDirectories(tmp.resolve("data"));
        java.nio.file.Files.copy(in.source(), dataDir.resolve("in_5core.txt"));
        List<String> jpLines = new java.util.ArrayList<>(java.nio.file.Files.readAllLines(jp.source()));
        jpLines.add(101, "not an interaction");
        jpLines.add(102, "u1 i1 \u0001\u0002\u001b[2J 2016-01-01");
        jpLines.add("u1 i1 9 2016-01-01");
        java.nio.file.Files.write(dataDir.resolve("jp_5core.txt"), jpLines);
        long total = in.interactions().size() + jp.interactions().size();
        try (EmbeddedCluster cluster = EmbeddedCluster.start(List.of("in", "jp"), 1)) {
            EmbeddedKafka kafka = cluster.kafka();
            Map<String, String> worker = new HashMap<>();
            worker.put("bootstrap.servers", kafka.bootstrapServers());
            worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
            worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
            worker.put("offset.storage.file.filename", tmp.resolve("offsets").toString());
            worker.put("offset.flush.interval.ms", "200");
            worker.put("listeners", "http://127.0.0.1:0");
            worker.put("plugin.discovery", "service_load");
            Map<String, String> connector = new HashMap<>();
            connector.put("name", "xmarket");
            connector.put("connector.class", XMarketSourceConnector.class.getName());
            connector.put("tasks.max", "2");
            connector.put(XMarketSourceConnector.DATA_DIR, dataDir.toString());
            connector.put(XMarketSourceConnector.MARKETS, "in,jp");
            connector.put(XMarketSourceConnector.REGISTRY_URL, cluster.registryUrl());
            connector.put(XMarketSourceConnector.RATE, "800");

            AvroSerde serde = new AvroSerde(new RegistryClient(cluster.registryUrl()));
            Connect<StandaloneHerder> first = start(worker, connector);
            // some lines are out; at 800 lines/s per task the files take seconds more
            Await.until(Duration.ofSeconds(60), () -> count(kafka, serde).size() >= 300);
            first.stop(); // graceful: the worker commits the offsets of what it produced
            long half = count(kafka, serde).size();
            assertTrue(half > 0 && half < total, "stopped half way: " + half + " of " + total);

            connector.put(XMarketSourceConnector.RATE, "0");
            Connect<StandaloneHerder> second = start(worker, connector);
            Await.until(Duration.ofSeconds(60), () -> count(kafka, serde).size() >= total);
            Thread.sleep(500); // anything beyond the total would show up now
            List<ReviewEvent> all = count(kafka, serde);
            second.stop();

            Set<String> ids = new HashSet<>();
            for (ReviewEvent e : all) {
                ids.add(e.getEventId());
            }
            assertEquals(total, all.size(), "every line exactly once");
            assertEquals(total, ids.size(), "no duplicate event ids");
            assertTrue(ids.contains("in:in_5core.txt:2") && ids.contains("jp:jp_5core.txt:" + (jp.interactions().size() + 3)),
                    "first and last lines are there");
            List<io.xmrec.schemas.DeadLetter> dead = TopicReader.readAll(kafka.bootstrapServers(), Map.of(),
                    Topics.DEADLETTER, serde, io.xmrec.schemas.DeadLetter.class);
            assertEquals(List.of(102L, 103L, jp.interactions().size() + 4L), dead.stream()
                    .map(io.xmrec.schemas.DeadLetter::getOffset).toList(), "each bad line once, by line number");
            assertTrue(dead.stream().allMatch(d -> d.getTopic().equals("file:jp_5core.txt")
                    && d.getErrorClass().equals("bad-line") && d.getStage().equals("connect-source")), dead.toString());
        }
    }

    private static Connect<StandaloneHerder> start(Map<String, String> worker, Map<String, String> connector)
            throws Exception {
        Connect<StandaloneHerder> c = new ConnectStandalone().startConnect(worker);
        FutureCallback<Herder.Created<ConnectorInfo>> cb = new FutureCallback<>();
        c.herder().putConnectorConfig(connector.get("name"), connector, true, cb);
        cb.get(30, TimeUnit.SECONDS);
        return c;
    }

    private static List<ReviewEvent> count(EmbeddedKafka kafka, AvroSerde serde) {
        List<ReviewEvent> in = TopicReader.readAll(kafka.bootstrapServers(), Map.of(), Topics.reviews("in"), serde,
                ReviewEvent.class);
        List<ReviewEvent> jp = TopicReader.readAll(kafka.bootstrapServers(), Map.of(), Topics.reviews("jp"), serde,
                ReviewEvent.class);
        in.addAll(jp);
        return in;
    }
}
