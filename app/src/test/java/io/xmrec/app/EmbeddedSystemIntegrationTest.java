package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.Await;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.model.updater.UpdaterSettings;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's system on in and jp: the files flow through broker, Flink job and updater into served
 * models, which a shop can use: recommendations from the market's catalogue without what the user
 * reviewed (a new review disappears within two seconds), scores equal to the model's, metrics and
 * the dashboard.
 */
class EmbeddedSystemIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Small and quick: FOREC alone (the product's default, the per-market choice, trains a dozen candidates per
     * trunk; ContinualUpdaterIntegrationTest follows the stream with it), two epochs per stage, no own-model retrains.
     */
    static UpdaterSettings quick() {
        TrainingSettings t = TrainingSettings.defaults();
        t = new TrainingSettings(t.ncf().withEpochs(2), MamlOptions.defaults().withMaxMetaSteps(30), t.forec().withEpochs(2));
        return UpdaterSettings.defaults().withTraining(t).withBootstrap(2000, 0)
                .withRetrain(0.5, Duration.ofSeconds(2), Duration.ZERO).withFastDelay(Duration.ofMillis(100))
                .withHead(Duration.ofSeconds(3), 50, 5_000, 1).withSnapshots(Duration.ofSeconds(5), 50)
                .withRefresh(0) // own models retrained: UpdaterArrivalsIntegrationTest; here they would only cost CPU
                .withMethod("forec");
    }

    @Test
    void replayedMarketsAreServedAsAShopNeedsWithMetricsAndADashboard() throws Exception {
        Map<String, MarketData> data = new LinkedHashMap<>();
        data.put("in", TestData.market("in"));
        data.put("jp", TestData.market("jp"));
        Map<String, Set<String>> sold = new HashMap<>();
        Map<String, Set<String>> reviewed = new HashMap<>();
        data.forEach((m, d) -> {
            for (Interaction i : d.interactions()) {
                sold.computeIfAbsent(m, k -> new HashSet<>()).add(i.item());
                reviewed.computeIfAbsent(m + "|" + i.user(), k -> new HashSet<>()).add(i.item());
            }
        });
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (EmbeddedSystem sys = EmbeddedSystem.start(List.of("in", "jp"), quick(), "127.0.0.1", 0, log::add)) {
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), data, 0,
                    new PrintWriter(new StringWriter()));
            ServedModel in = sys.models().await("in", 1, Duration.ofSeconds(240));
            ServedModel jp = sys.models().await("jp", 1, Duration.ofSeconds(60));
            assertTrue(in != null && jp != null, String.join("\n", log));
            // every user of the files is served within seconds of the replay (the fast path folds them in)
            Await.until(Duration.ofSeconds(90), () -> sys.models().model("jp").users().size() >= 487
                    && sys.models().model("in").users().size() >= 239);
            assertEquals(487, sys.models().model("jp").users().size(), String.join("\n", log));

            // what a shop shows: the market's catalogue only, nothing the user reviewed, scores as the model's
            for (String market : List.of("in", "jp")) {
                ServedModel m = sys.models().model(market);
                for (int k = 0; k < m.users().size(); k += Math.max(1, m.users().size() / 15)) {
                    String user = m.users().id(k);
                    JsonNode rec = JSON.readTree(get(sys.httpUrl() + "/recommendations/" + market + "/" + user + "?k=10").body());
                    assertEquals(10, rec.get("items").size(), rec.toString());
                    List<String> ids = new ArrayList<>();
                    for (JsonNode i : rec.get("items")) {
                        String item = i.get("item").asText();
                        assertTrue(sold.get(market).contains(item), item + " is not sold in " + market);
                        assertFalse(reviewed.get(market + "|" + user).contains(item), user + " reviewed " + item);
                        ids.add(item);
                    }
                    JsonNode sc = JSON.readTree(get(sys.httpUrl() + "/scores/" + market + "/" + user + "?items="
                            + String.join(",", ids)).body());
                    ServedModel now = sys.models().model(market);
                    // (a version may lack the user for a moment: a trunk's fork before the user's re-fit)
                    if (now.version() == sc.get("model_version").asLong() && now.users().indexOf(user) >= 0) {
                        float[] expected = now.score(user, ids);
                        for (int i = 0; i < ids.size(); i++) {
                            assertEquals(expected[i], (float) sc.get("scores").get(ids.get(i)).asDouble(), 0f);
                        }
                    }
                }
            }
            // a new review of the top item disappears from the user's recommendations within two seconds
            String user = sys.models().model("jp").users().id(3);
            String top = JSON.readTree(get(sys.httpUrl() + "/recommendations/jp/" + user + "?k=1").body())
                    .get("items").get(0).get("item").asText();
            AvroSerde serde = new AvroSerde(new RegistryClient(sys.registryUrl()));
            long sent;
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", sys.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                ReviewEvent e = ReviewEvent.newBuilder().setMarket("jp").setUser(user).setItem(top).setRating(5f)
                        .setEventTime(Instant.parse("2020-01-01T00:00:00Z")).setEventId("test:1").setSource("test").build();
                p.send(new ProducerRecord<>(Topics.reviews("jp"), user, serde.serialize(Topics.reviews("jp"), e))).get();
                sent = System.nanoTime();
            }
            boolean gone = false;
            while (!gone && System.nanoTime() - sent < Duration.ofSeconds(2).toNanos()) {
                JsonNode r = JSON.readTree(get(sys.httpUrl() + "/recommendations/jp/" + user + "?k=5").body());
                gone = true;
                for (JsonNode i : r.get("items")) {
                    gone &= !i.get("item").asText().equals(top);
                }
                if (!gone) {
                    Thread.sleep(50);
                }
            }
            assertTrue(gone, "the reviewed item " + top + " is still recommended 2 s after the review");

            // a broken record on a review topic: dead-lettered by the holdout job, counted by the evaluator
            try (var p = new KafkaProducer<String, byte[]>(Map.of("bootstrap.servers", sys.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(Topics.reviews("in"), "x", new byte[] {1, 2, 3})).get();
            }
            List<String> wanted = List.of("xmrec_eval_ndcg_at_10{market=\"in\",split=\"test\"}",
                    "xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test\"}",
                    "xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test_full\"}",
                    "xmrec_reference_ndcg_at_10{market=\"jp\",split=\"test\"}",
                    // the Prometheus client writes labels in name order
                    "xmrec_updates_total{kind=\"rows\",market=\"jp\"}",
                    "xmrec_updates_total{kind=\"trunk\",market=\"*\"}",
                    "xmrec_model_recipe{market=\"jp\",recipe=\"",
                    "xmrec_deadletters_total{market=\"in\"} 1.0",
                    "xmrec_model_lag_event_seconds{market=\"in\"}");
            String[] last = {""};
            io.xmrec.core.testing.Await.until(Duration.ofSeconds(180), () -> {
                try {
                    last[0] = get(sys.httpUrl() + "/metrics").body();
                } catch (Exception e) {
                    return false; // not up yet
                }
                return wanted.stream().allMatch(last[0]::contains);
            });
            String metrics = last[0];
            for (String w : wanted) {
                assertTrue(metrics.contains(w), w + " in\n" + metrics + "\n" + String.join("\n", log));
            }
            var events = java.util.regex.Pattern.compile("xmrec_events_total\\{market=\"in\"\\} (\\d+)").matcher(metrics);
            assertTrue(events.find() && Long.parseLong(events.group(1)) > 1000, "events of in counted: " + metrics);
            assertTrue(get(sys.httpUrl() + "/api/metrics").body().contains("\"holdout-valid\""));
            HttpResponse<String> page = get(sys.httpUrl() + "/");
            assertTrue(page.body().contains("/static/echarts.min.js"), "the dashboard loads its charts from us");
            assertEquals(200, get(sys.httpUrl() + "/static/echarts.min.js").statusCode());

            Dashboard.checkNumbersAppearAndChange(sys, data.keySet());
        }
    }

    @Test
    void aShopsOwnMarketCodesAreReplayedTrainedAndServed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // generated markets named as a shop would name them, through the same path as any data directory
        io.xmrec.core.data.synth.SyntheticMarkets.write(io.xmrec.core.data.synth.SyntheticProfile.xmarketElectronics(),
                new io.xmrec.core.data.synth.SyntheticMarkets.Options(List.of("us", "es-b2b"), 0.1, 0.2, 5), dir, l -> { });
        Map<String, MarketData> data = MarketFiles.load(dir, null, false, new PrintWriter(new StringWriter()));
        assertEquals(Set.of("us", "es-b2b"), data.keySet());
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (EmbeddedSystem sys = EmbeddedSystem.start(List.copyOf(data.keySet()), quick(), "127.0.0.1", 0, log::add)) {
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), data, 0,
                    new PrintWriter(new StringWriter()));
            for (String market : List.of("us", "es-b2b")) {
                ServedModel m = sys.models().await(market, 1, Duration.ofSeconds(240));
                assertTrue(m != null, market + ": " + String.join("\n", log));
                String user = m.users().id(0);
                JsonNode rec = JSON.readTree(get(sys.httpUrl() + "/recommendations/" + market + "/" + user + "?k=5").body());
                assertEquals(market, rec.get("market").asText());
                assertEquals(5, rec.get("items").size(), rec.toString());
            }
            String text = get(sys.httpUrl() + "/metrics").body();
            assertTrue(text.contains("market=\"es-b2b\""), "the metrics name the shop's market");
        }
    }
}
