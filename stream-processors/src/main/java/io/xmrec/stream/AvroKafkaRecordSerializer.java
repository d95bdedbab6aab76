package io.xmrec.stream;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** Writes a POJO to a topic as an Avro record in the Confluent wire format, with a string key. */
public class AvroKafkaRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    /** The key and Avro record of an element. */
    public interface Mapping<T> extends Function<T, KeyedRecord>, Serializable {
    }

    /** Key (may be null) and value. */
    public record KeyedRecord(String key, SpecificRecord value) {
    }

    private final String topic;
    private final String registryUrl;
    private final Mapping<T> mapping;
    private transient AvroSerde serde;

    public AvroKafkaRecordSerializer(String topic, String registryUrl, Mapping<T> mapping) {
        this.topic = topic;
        this.registryUrl = registryUrl;
        this.mapping = mapping;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        serde = new AvroSerde(new RegistryClient(registryUrl));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        KeyedRecord r = mapping.apply(element);
        byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, timestamp, key, serde.serialize(topic, r.value()));
    }
}
