package io.xmrec.schemas.registry;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.avro.specific.SpecificRecord;

/** Kafka client adapters of {@link AvroSerde} for one record type. */
public final class AvroKafkaSerde {

    private AvroKafkaSerde() {
    }

    public static <T extends SpecificRecord> Serializer<T> serializer(AvroSerde serde) {
        return (topic, value) -> value == null ? null : serde.serialize(topic, value);
    }

    public static <T extends SpecificRecord> Deserializer<T> deserializer(AvroSerde serde, Class<T> type) {
        return (topic, bytes) -> bytes == null ? null : serde.deserialize(bytes, type);
    }
}
