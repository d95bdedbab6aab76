package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedSystem;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.core.testing.TestData;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NativeThreads;
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

    @Test
    void replayedMarketsGetModelsServedOverHttp() throws Exception {
        NativeThreads.apply(1);
        Map<String, MarketData> data = new LinkedHashMap<>();
        data.put("in", TestData.market("in"));
        data.put("jp", TestData.market("jp"));
        ContinualUpdater.Settings s = new ContinualUpdater.Settings(7, 2000, 300, 100_000, 1_000_000,
                NcfOptions.defaults().withEpochs(2).withBatchSize(256), MamlOptions.defaults().withMaxMetaSteps(30),
                ForecFork.Options.defaults().withEpochs(2).withBatchSize(256), 1, 0.02, 99, 42);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (EmbeddedSystem sys = EmbeddedSystem.start(List.of("in", "jp"), s, "127.0.0.1", 0, log::add)) {
            IngestCommand.ingest(sys.bootstrapServers(), Map.of(), sys.registryUrl(), data, 0,
                    new PrintWriter(new StringWriter()));
            ServedModel in = sys.models().await("in", 1, Duration.ofSeconds(240));
            ServedModel jp = sys.models().await("jp", 1, Duration.ofSeconds(60));
            // the first trunk comes after 2000 eligible interactions: whoever has a holdout and 7 interactions by then
            assertTrue(in.users().size() > 0 && jp.users().size() > 50, in.users().size() + " / " + jp.users().size());
            String user = jp.users().id(0);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(sys.httpUrl() + "/recommendations/jp/" + user + "?k=5")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(5, r.body().split("\"item\"").length - 1, r.body());
            assertTrue(sys.updaterStats().trunkVersions() >= 1, log.toString());
        }
    }
}
