package io.xmrec.app.embedded;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.model.ModelCodec;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.topic.ModelClient;
import io.xmrec.model.topic.ModelPublisher;
import io.xmrec.model.topic.RecommendationServer;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models through xmrec.models to the client and its HTTP endpoint, on the in-process broker. */
class ModelTopicIntegrationTest {

    private static NcfModel model(int users, int items) {
        List<String> u = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            u.add(String.format("in/u%03d", i));
        }
        List<String> it = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            it.add(String.format("B%05d", i));
        }
        NcfOptions o = NcfOptions.defaults().withEmbeddingStd(0.5);
        return NcfModel.fresh(NcfArchitecture.NMF, IdVocabulary.ofOrdered(u), IdVocabulary.ofOrdered(it), o, List.of("in"));
    }

    private static ModelRecord record(NcfModel m, long version) {
        return ModelCodec.toRecord("in", m, new ModelCodec.Meta(version, 1, Map.of(), null, 0.3, 0.5));
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void clientFollowsNewerVersionsServesRecommendationsAndOversizedModelsAreRefused() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(null);
             RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            TopicSetup.create(kafka.bootstrapServers(), Map.of(), List.of("in"), 1);
            AvroSerde serde = new AvroSerde(new RegistryClient(registry.url()));
            NcfModel m = model(50, 300);
            try (ModelPublisher pub = new ModelPublisher(kafka.bootstrapServers(), Map.of(), serde,
                    TopicSetup.MODEL_MAX_MESSAGE_BYTES);
                 ModelClient client = new ModelClient(kafka.bootstrapServers(), Map.of(), registry.url());
                 RecommendationServer http = new RecommendationServer(client, "127.0.0.1", 0)) {
                int bytes = pub.publish(record(m, 1));
                assertTrue(bytes > 300 * 16 * 4, "tensors are in the record: " + bytes);
                client.await("in", 1, Duration.ofSeconds(30));

                HttpResponse<String> ok = get(http.url() + "/recommendations/in/u007?k=3");
                assertEquals(200, ok.statusCode(), ok.body());
                assertTrue(ok.body().contains("\"model_version\":1"), ok.body());
                assertEquals(3, ok.body().split("\"item\"").length - 1, ok.body());

                pub.publish(record(m, 2));
                client.await("in", 2, Duration.ofSeconds(30));
                pub.publish(record(m, 1)); // an old version arriving late is ignored
                Thread.sleep(500);
                assertEquals(2L, client.versions().get("in"));

                assertEquals(404, get(http.url() + "/recommendations/zz/u007").statusCode());
                HttpResponse<String> nouser = get(http.url() + "/recommendations/in/nobody");
                assertEquals(404, nouser.statusCode());
                assertTrue(nouser.body().contains("user nobody is not in the in model"), nouser.body());
                assertEquals(400, get(http.url() + "/recommendations/in/u007?k=0").statusCode());
                assertTrue(get(http.url() + "/models").body().contains("\"in\":2"));

                // a model over the record limit is refused before it is sent; the current version stays
                try (ModelPublisher small = new ModelPublisher(kafka.bootstrapServers(), Map.of(), serde, 20_000)) {
                    ModelPublisher.TooLarge e = assertThrows(ModelPublisher.TooLarge.class,
                            () -> small.publish(record(m, 3)));
                    assertTrue(e.getMessage().contains("over the 20,000-byte record limit"), e.getMessage());
                }
                Thread.sleep(300);
                assertEquals(2L, client.versions().get("in"));
            }
        }
    }
}
