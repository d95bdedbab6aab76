package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.service.ContinualUpdater;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's system on in and jp: the files flow through broker, Flink job and updater into served models. */
class EmbeddedSystemIntegrationTest {

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void replayedMarketsGetModelsMetricsAndADashboard() throws Exception {
        Map<String, MarketData> data = new LinkedHashMap<>();
        data.put("in", TestData.market("in"));
        data.put("jp", TestData.market("jp"));
        ContinualUpdater.Settings s = ContinualUpdater.Settings.defaults().withBootstrap(2000)
                .withMicroBatch(300, Duration.ofMillis(250)).withWindow(100_000)
                .withRetrain(1_000_000, Duration.ZERO)
                .withTraining(NcfOptions.defaults().withEpochs(2).withBatchSize(256),
                        MamlOptions.defaults().withMaxMetaSteps(30),
                        ForecFork.Options.defaults().withEpochs(2).withBatchSize(256), 1);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (EmbeddedSystem sys = EmbeddedSystem.start(List.of("in", "jp"), s, "127.0.0.1", 0, log::add)) {
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), data, 0,
                    new PrintWriter(new StringWriter()));
            ServedModel in = sys.models().await("in", 1, Duration.ofSeconds(240));
            ServedModel jp = sys.models().await("jp", 1, Duration.ofSeconds(60));
            // the first trunk comes after 2000 eligible interactions: whoever has a holdout and 7 interactions by then
            assertTrue(in.users().size() > 0 && jp.users().size() > 50, in.users().size() + " / " + jp.users().size());
            String user = jp.users().id(0);
            // the evaluator serves from its own store, which gets the model a moment after the client
            HttpResponse<String> r = get(sys.httpUrl() + "/recommendations/jp/" + user + "?k=5");
            for (int i = 0; i < 120 && r.statusCode() == 404; i++) {
                Thread.sleep(500);
                r = get(sys.httpUrl() + "/recommendations/jp/" + user + "?k=5");
            }
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(5, r.body().split("\"item\"").length - 1, r.body());
            assertTrue(sys.updaterStats().trunkVersions() >= 1, log.toString());

            // a broken record on a review topic: dead-lettered by the holdout job, counted by the evaluator
            try (var p = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(Map.of(
                    "bootstrap.servers", sys.bootstrapServers()), new org.apache.kafka.common.serialization.StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(io.xmrec.schemas.Topics.reviews("in"), "x",
                        new byte[] {1, 2, 3})).get();
            }
            // the evaluator measures every model: a metric per market, in JSON and for Prometheus
            List<String> wanted = List.of("xmrec_eval_ndcg_at_10{market=\"in\",split=\"test\"}",
                    "xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test\"}",
                    "xmrec_eval_ndcg_at_10{market=\"jp\",split=\"test_full\"}",
                    "xmrec_reference_ndcg_at_10{market=\"jp\",split=\"test\"}",
                    "xmrec_updates_total{market=\"jp\",kind=\"published\"}",
                    "xmrec_updates_total{market=\"*\",kind=\"trunk\"}",
                    "xmrec_deadletters_total{market=\"in\"} 1",
                    "xmrec_model_lag_event_seconds{market=\"in\"}");
            long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            String metrics = "";
            while (System.nanoTime() < until) {
                metrics = get(sys.httpUrl() + "/metrics").body();
                String m = metrics;
                if (wanted.stream().allMatch(m::contains)) {
                    break;
                }
                Thread.sleep(500);
            }
            for (String w : wanted) {
                assertTrue(metrics.contains(w), w + " in\n" + metrics + "\n" + log);
            }
            var events = java.util.regex.Pattern.compile("xmrec_events_total\\{market=\"in\"\\} (\\d+)").matcher(metrics);
            assertTrue(events.find() && Long.parseLong(events.group(1)) > 1000, "events of in counted: " + metrics);
            assertTrue(metrics.contains("xmrec_model_version{market=\"in\"}"), metrics);
            assertTrue(get(sys.httpUrl() + "/api/metrics").body().contains("\"holdout-valid\""));
            HttpResponse<String> page = get(sys.httpUrl() + "/");
            assertTrue(page.body().contains("/static/echarts.min.js"), "the dashboard loads its charts from us");
            assertEquals(200, get(sys.httpUrl() + "/static/echarts.min.js").statusCode());

            Dashboard.checkNumbersAppearAndChange(sys, data.keySet());
        }
    }
}
