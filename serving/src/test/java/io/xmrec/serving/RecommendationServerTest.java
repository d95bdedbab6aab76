package io.xmrec.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shop's endpoints over real HTTP, on an in-memory model and seen-items table. */
class RecommendationServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> seenByUser = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> sold = new ConcurrentHashMap<>();
    private RecommendationServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = new RecommendationServer(ModelSource.of(models), SeenSource.of(seenByUser, sold), () -> !models.isEmpty(),
                "127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMarketWithoutAModelIs503WithRetryAfterAndTheHealthSaysStarting() throws Exception {
        HttpResponse<String> r = get("/recommendations/xx/u000");
        assertEquals(503, r.statusCode());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertEquals(503, get("/health").statusCode());
        models.put("xx", ModelRecordsTest.model(3, 12, 20, 1));
        assertEquals(200, get("/health").statusCode());
        assertEquals(400, get("/recommendations/XX!/u000").statusCode());
    }

    @Test
    void recommendationsStayInTheCatalogueLeaveOutWhatWasReviewedAndNameTheVersions() throws Exception {
        ServedModel m = ModelRecordsTest.model(3, 12, 20, 1); // sells the even item rows
        models.put("xx", m);
        HttpResponse<String> r = get("/recommendations/xx/u002?k=5");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = JSON.readTree(r.body());
        assertEquals("xx", j.get("market").asText());
        assertEquals("u002", j.get("user").asText());
        assertEquals(3, j.get("model_version").asLong());
        assertEquals(1, j.get("trunk_version").asLong());
        assertEquals(5, j.get("items").size());
        Set<String> first = new HashSet<>();
        for (JsonNode i : j.get("items")) {
            String item = i.get("item").asText();
            assertTrue(m.sells(m.items().indexOf(item)), item + " is not sold in xx");
            first.add(item);
        }
        // what the user reviewed (here: the current top item) disappears at once
        String top = j.get("items").get(0).get("item").asText();
        seenByUser.put("xx|u002", Set.of(top));
        JsonNode after = JSON.readTree(get("/recommendations/xx/u002?k=5").body());
        for (JsonNode i : after.get("items")) {
            assertFalse(i.get("item").asText().equals(top), "a reviewed item was recommended");
        }
        assertEquals(1, after.get("excluded_seen").asInt());
        JsonNode all = JSON.readTree(get("/recommendations/xx/u002?k=5&include_seen=true").body());
        assertEquals(top, all.get("items").get(0).get("item").asText());
        // an item sold in the market since the model was made is a candidate when the model knows it
        String odd = m.items().id(1);
        sold.put("xx", Set.of(odd));
        JsonNode many = JSON.readTree(get("/recommendations/xx/u002?k=20").body());
        boolean oddSeen = false;
        for (JsonNode i : many.get("items")) {
            oddSeen |= i.get("item").asText().equals(odd);
        }
        assertTrue(oddSeen || many.get("items").size() == 11, many.toString());
    }

    @Test
    void anUnknownUserGetsThePopularItemsNotA404() throws Exception {
        models.put("xx", ModelRecordsTest.model(3, 12, 20, 1));
        JsonNode j = JSON.readTree(get("/recommendations/xx/newcomer?k=3").body());
        assertEquals("popular", j.get("fallback").asText());
        assertEquals(3, j.get("items").size());
        // the popularity of catalogue item k is k % 5: the most popular come first
        assertTrue(j.get("items").get(0).get("interactions").asInt() >= j.get("items").get(2).get("interactions").asInt());
    }

    @Test
    void scoresEqualTheModelsNameUnknownItemsAndComeByGetOrPost() throws Exception {
        ServedModel m = ModelRecordsTest.model(3, 12, 20, 1);
        models.put("xx", m);
        JsonNode g = JSON.readTree(get("/scores/xx/u004?items=i001,i002,nope").body());
        float[] expected = m.score(m.userRow("u004"), new int[] {1, 2});
        assertEquals(expected[0], (float) g.get("scores").get("i001").asDouble(), 0f);
        assertEquals(expected[1], (float) g.get("scores").get("i002").asDouble(), 0f);
        assertTrue(g.get("scores").get("nope").isNull());
        assertTrue(g.get("unknown").get("nope").asText().contains("not sold in xx"), g.toString());
        // a cold item: sold in the market (reviewed), no row in the model yet: the mean item's score, flagged
        sold.put("xx", Set.of("fresh"));
        JsonNode c = JSON.readTree(get("/scores/xx/u004?items=fresh,i001").body());
        assertEquals(m.scoreMeanItem(m.userRow("u004")), (float) c.get("scores").get("fresh").asDouble(), 0f);
        assertTrue(c.get("prior").get("fresh").asText().contains("mean catalogue item"), c.toString());
        assertFalse(c.get("unknown").has("fresh"));
        assertEquals(expected[0], (float) c.get("scores").get("i001").asDouble(), 0f);
        JsonNode p = JSON.readTree(post("/scores/xx/u004", "{\"items\": [\"i002\"]}").body());
        assertEquals(expected[1], (float) p.get("scores").get("i002").asDouble(), 0f);
        JsonNode unknownUser = JSON.readTree(get("/scores/xx/stranger?items=i001").body());
        assertEquals("average-user", unknownUser.get("fallback").asText());
        assertEquals(m.scoreAverageUser(new int[] {1})[0], (float) unknownUser.get("scores").get("i001").asDouble(), 0f);
    }

    @Test
    void badRequestsGetTheirStatusAndReason() throws Exception {
        models.put("xx", ModelRecordsTest.model(3, 12, 20, 1));
        assertEquals(400, get("/recommendations/xx/u001?k=0").statusCode());
        assertEquals(400, get("/recommendations/xx/u001?k=abc").statusCode());
        assertEquals(400, get("/recommendations/xx").statusCode());
        assertEquals(400, get("/scores/xx/u001").statusCode());
        assertEquals(400, post("/scores/xx/u001", "not json").statusCode());
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("x").append(i);
        }
        assertEquals(400, get("/scores/xx/u001?items=" + many).statusCode());
        HttpResponse<String> big = post("/scores/xx/u001", "{\"items\": [\"" + "a".repeat(2 << 20) + "\"]}");
        assertEquals(413, big.statusCode());
        assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(server.url() + "/recommendations/xx/u001"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertTrue(JSON.readTree(get("/recommendations/xx/u001?k=0").body()).get("error").asText().contains("k"));
    }

    @Test
    void fiftyEventStreamsAndTenSlowBodiesLeaveTheEndpointsAnsweringAndAHugeBodyGets413() throws Exception {
        models.put("xx", ModelRecordsTest.model(3, 12, 20, 1));
        try (io.xmrec.serving.http.EventStream events = new io.xmrec.serving.http.EventStream(64)) {
            server.routeRaw("/events", events.handler(() -> "{}"));
            java.util.List<java.net.Socket> open = new java.util.ArrayList<>();
            try {
                int port = server.port();
                for (int k = 0; k < 50; k++) { // 50 dashboard tabs
                    java.net.Socket sse = new java.net.Socket("127.0.0.1", port);
                    sse.getOutputStream().write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                    sse.getOutputStream().flush();
                    open.add(sse);
                }
                for (int k = 0; k < 10; k++) { // a body announced and never sent
                    java.net.Socket slow = new java.net.Socket("127.0.0.1", port);
                    slow.getOutputStream().write(("POST /scores/xx/u001 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                            + "\r\nContent-Length: 100000\r\n\r\n{\"items\": [").getBytes());
                    slow.getOutputStream().flush();
                    open.add(slow);
                }
                io.xmrec.core.testing.Await.until(java.time.Duration.ofSeconds(10), () -> events.clients() >= 50);
                assertEquals(50, events.clients(), "every stream open");
                HttpClient bounded = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(1)).build();
                for (String path : java.util.List.of("/recommendations/xx/u001?k=5", "/models", "/health")) {
                    HttpResponse<String> r = bounded.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                            .timeout(java.time.Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), path + ": " + r.body());
                }
                byte[] twenty = new byte[20 << 20];
                java.util.Arrays.fill(twenty, (byte) ' ');
                HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/scores/xx/u001"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(twenty)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(413, big.statusCode());
                events.publish("message", "{\"v\": 1}");
            } finally {
                for (java.net.Socket s : open) {
                    s.close();
                }
            }
        }
    }
}
