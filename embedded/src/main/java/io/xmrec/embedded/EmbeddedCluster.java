package io.xmrec.embedded;

import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryServer;

import java.util.List;
import java.util.Map;

/**
 * A broker, a schema registry and xmrec's topics in this JVM, for a test or a local run: one
 * call to start, one to close.
 */
public final class EmbeddedCluster implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final RegistryServer registry;
    private final AvroSerde serde;

    private EmbeddedCluster(EmbeddedKafka kafka, RegistryServer registry) {
        this.kafka = kafka;
        this.registry = registry;
        this.serde = new AvroSerde(new RegistryClient(registry.url()));
    }

    /** Starts a broker and a registry and creates the topics of these markets ({@code partitions} each). */
    public static EmbeddedCluster start(List<String> markets, int partitions) {
        EmbeddedKafka kafka = EmbeddedKafka.start(null);
        try {
            RegistryServer registry = RegistryServer.start(kafka.bootstrapServers(), "127.0.0.1", 0, Map.of());
            TopicSetup.create(kafka.bootstrapServers(), Map.of(), markets, partitions);
            return new EmbeddedCluster(kafka, registry);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    public String bootstrap() {
        return kafka.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    /** A serde talking to this cluster's registry over HTTP. */
    public AvroSerde serde() {
        return serde;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    @Override
    public void close() {
        registry.close();
        kafka.close();
    }
}
