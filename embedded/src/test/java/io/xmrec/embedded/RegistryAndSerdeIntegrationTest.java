package io.xmrec.embedded;

import io.xmrec.embedded.EmbeddedKafka;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryException;
import io.xmrec.schemas.registry.RegistryServer;
import io.xmrec.schemas.registry.SerdeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-process registry over real HTTP and a real broker, with the serde on top. */
class RegistryAndSerdeIntegrationTest {

    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start(null);
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    /** ReviewEvent's first version, without the optional source field: what an older publisher wrote. */
    private static Schema reviewV1() {
        return SchemaBuilder.record("ReviewEvent").namespace("io.xmrec.schemas").fields()
                .requiredString("market").requiredString("user").requiredString("item").requiredFloat("rating")
                .name("eventTime").type(org.apache.avro.LogicalTypes.timestampMillis()
                        .addToSchema(Schema.create(Schema.Type.LONG))).noDefault()
                .optionalString("eventId")
                .endRecord();
    }

    private static byte[] wire(int id, GenericRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(r.getSchema()).write(r, enc);
        enc.flush();
        return out.toByteArray();
    }

    @Test
    void evolvedSchemaReadsOldRecordsAndSchemasSurviveARegistryRestart() throws Exception {
        String topic = Topics.reviews("de");
        String subject = Topics.valueSubject(topic);
        int v1;
        byte[] old;
        try (RegistryServer server = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            RegistryClient client = new RegistryClient(server.url());
            v1 = client.register(subject, reviewV1());
            GenericRecord r = new GenericData.Record(reviewV1());
            r.put("market", "de");
            r.put("user", "u1");
            r.put("item", "B0001");
            r.put("rating", 4f);
            r.put("eventTime", 1_500_000_000_000L);
            r.put("eventId", "de:de_5core.txt:2");
            old = wire(v1, r);

            // the current schema adds an optional field: BACKWARD compatible
            assertTrue(client.isCompatible(subject, ReviewEvent.getClassSchema()));
            AvroSerde serde = new AvroSerde(client);
            ReviewEvent now = ReviewEvent.newBuilder().setMarket("de").setUser("u2").setItem("B0002").setRating(5f)
                    .setEventTime(Instant.ofEpochMilli(1_600_000_000_000L)).setEventId("x").setSource("test").build();
            byte[] bytes = serde.serialize(topic, now);
            int v2 = AvroSerde.schemaId(bytes);
            assertTrue(v2 != v1, "a new schema gets a new id");
            assertEquals(now, serde.deserialize(bytes, ReviewEvent.class));
            assertEquals(2, client.latest(subject).version());

            ReviewEvent read = serde.deserialize(old, ReviewEvent.class);
            assertEquals("u1", read.getUser());
            assertEquals(Instant.ofEpochMilli(1_500_000_000_000L), read.getEventTime());
            assertNull(read.getSource(), "the added field takes its default");

            // removing a required field without default from what readers expect is refused
            Schema incompatible = SchemaBuilder.record("ReviewEvent").namespace("io.xmrec.schemas").fields()
                    .requiredString("market").requiredString("country").endRecord();
            assertFalse(client.isCompatible(subject, incompatible));
            RegistryException e = assertThrows(RegistryException.class, () -> client.register(subject, incompatible));
            assertTrue(e.incompatible(), e.getMessage());
            assertTrue(e.getMessage().contains("BACKWARD"), e.getMessage());
        }
        // a new registry instance on the same broker knows every schema: they live in _schemas
        try (RegistryServer again = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            RegistryClient fresh = new RegistryClient(again.url());
            assertEquals(2, fresh.latest(subject).version());
            assertEquals(reviewV1(), fresh.schemaById(v1));
            assertEquals(v1, fresh.register(subject, reviewV1()), "registering again is idempotent");
            assertEquals("u1", new AvroSerde(fresh).deserialize(old, ReviewEvent.class).getUser());
            assertTrue(fresh.subjects().contains(subject));
        }
    }

    @Test
    void badBytesUnknownIdsAndAnUnreachableRegistryGiveClearErrors() throws Exception {
        try (RegistryServer server = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of())) {
            AvroSerde serde = new AvroSerde(new RegistryClient(server.url()));
            SerdeException shortRec = assertThrows(SerdeException.class,
                    () -> serde.deserialize(new byte[] {0, 1}, ReviewEvent.class));
            assertEquals("bad-bytes", shortRec.kind());
            SerdeException magic = assertThrows(SerdeException.class,
                    () -> serde.deserialize("{\"json\":1}".getBytes(), ReviewEvent.class));
            assertTrue(magic.getMessage().contains("magic byte"), magic.getMessage());
            SerdeException unknown = assertThrows(SerdeException.class,
                    () -> serde.deserialize(new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 'a'}, ReviewEvent.class));
            assertEquals("unknown-schema", unknown.kind(), unknown.getMessage());
            // a valid id with a truncated body
            byte[] good = serde.serialize("xmrec.reviews.fr", ReviewEvent.newBuilder().setMarket("fr").setUser("u")
                    .setItem("i").setRating(3f).setEventTime(Instant.EPOCH).build());
            byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
            SerdeException decode = assertThrows(SerdeException.class, () -> serde.deserialize(cut, ReviewEvent.class));
            assertEquals("decode", decode.kind(), decode.getMessage());
        }
        RegistryClient down = new RegistryClient("http://127.0.0.1:1", java.time.Duration.ofSeconds(2));
        RegistryException e = assertThrows(RegistryException.class, () -> down.schemaById(1));
        assertTrue(e.unreachable(), e.getMessage());
        assertTrue(e.getMessage().contains("not reachable"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RegistryClient("localhost:8081"));
    }

    private static java.net.http.HttpResponse<String> post(String url, String body, String auth) throws Exception {
        var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", RegistryClient.CONTENT_TYPE)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(auth.getBytes()));
        }
        return java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withWriteCredentialsAnonymousClientsReadButCannotRegisterAndBodiesAreBounded() throws Exception {
        try (RegistryServer r = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of(), "updater:s3cret")) {
            String schema = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    .put("schema", ReviewEvent.getClassSchema().toString()).toString();
            var anonymous = post(r.url() + "/subjects/squat-value/versions", schema, null);
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            assertEquals(401, post(r.url() + "/subjects/squat-value/versions", schema, "updater:wrong").statusCode());

            String withCredentials = r.url().replace("http://", "http://updater:s3cret@");
            int id = new RegistryClient(withCredentials).register("auth-test-value", ReviewEvent.getClassSchema());
            RegistryClient reader = new RegistryClient(r.url());
            assertEquals(ReviewEvent.getClassSchema(), reader.schemaById(id), "reads stay open");
            assertTrue(reader.subjects().contains("auth-test-value") && !reader.subjects().contains("squat-value"));
            RegistryException e = assertThrows(RegistryException.class,
                    () -> reader.register("other-value", ReviewEvent.getClassSchema()));
            assertFalse(e.getMessage().contains("s3cret"));
            assertEquals(200, post(r.url() + "/subjects/auth-test-value", schema, null).statusCode(),
                    "a look-up changes nothing and needs no credentials");

            String huge = "{\"schema\": \"" + "x".repeat(RegistryServer.MAX_BODY + 10) + "\"}";
            assertEquals(413, post(r.url() + "/subjects/big-value/versions", huge, "updater:s3cret").statusCode());
        }
    }
}
