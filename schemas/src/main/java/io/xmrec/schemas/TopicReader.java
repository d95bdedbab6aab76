package io.xmrec.schemas;

import io.xmrec.schemas.registry.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Reads a whole topic (committed records only) from the beginning up to its current end. */
public final class TopicReader {

    private TopicReader() {
    }

    /** Consumer settings for reading committed records, large ones (models) included. */
    public static Map<String, Object> consumerProps(String bootstrap, Map<String, Object> clientProps) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 80 << 20);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 80 << 20);
        return p;
    }

    /** Calls {@code each} with every record of the topic that is there now, partition by partition in offset order. */
    public static void readToEnd(String bootstrap, Map<String, Object> clientProps, String topic,
                                 Consumer<ConsumerRecord<String, byte[]>> each) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerProps(bootstrap, clientProps),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    each.accept(r);
                }
            }
        }
    }

    /** Every value of the topic decoded as {@code type} (tombstones skipped). */
    public static <T extends SpecificRecord> List<T> readAll(String bootstrap, Map<String, Object> clientProps,
                                                             String topic, AvroSerde serde, Class<T> type) {
        List<T> out = new ArrayList<>();
        readToEnd(bootstrap, clientProps, topic, r -> {
            if (r.value() != null) {
                out.add(serde.deserialize(r.value(), type));
            }
        });
        return out;
    }
}
