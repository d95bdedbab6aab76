package io.xmrec.stream;

import io.xmrec.schemas.DeadLetters;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;

/**
 * The "holdouts" Flink job: review topics in, training interactions, holdout states and dead
 * letters out. {@link #build} is the topology on any input stream (tests feed bounded ones);
 * {@link #source} and {@link #attachSinks} connect it to Kafka with exactly-once delivery.
 */
public final class HoldoutJob {

    /**
     * Settings of a run. {@code exactlyOnce}: transactional sinks, visible to {@code read_committed} readers at
     * each checkpoint (the default); without it the sinks are at-least-once, visible at once, and a restart
     * may write a promotion twice (readers can drop it by its event id).
     */
    public record Settings(String bootstrap, String registryUrl, Map<String, Object> clientProps, boolean bounded,
                           Duration dedupTtl, Duration checkpointInterval, String transactionalIdPrefix,
                           boolean exactlyOnce) {
        public Settings(String bootstrap, String registryUrl, Map<String, Object> clientProps, boolean bounded,
                        Duration dedupTtl, Duration checkpointInterval, String transactionalIdPrefix) {
            this(bootstrap, registryUrl, clientProps, bounded, dedupTtl, checkpointInterval, transactionalIdPrefix, true);
        }

        public Settings atLeastOnce() {
            return new Settings(bootstrap, registryUrl, clientProps, bounded, dedupTtl, checkpointInterval,
                    transactionalIdPrefix, false);
        }
    }

    /** The three outputs of the topology. */
    public record Outputs(DataStream<TrainOut> train, DataStream<HoldoutOut> holdouts, DataStream<Rejected> rejected) {
    }

    /** The source's consumer group: its offsets, committed at each checkpoint, are where the job resumes. */
    public static final String GROUP = Topics.PREFIX + "xmrec-holdouts";

    private HoldoutJob() {
    }

    /** The topology: parse and validate, de-duplicate, per-user rolling leave-one-out. */
    public static Outputs build(DataStream<RawRecord> input, String registryUrl, Duration dedupTtl) {
        SingleOutputStreamOperator<Review> parsed = input.process(new ParseReviews(registryUrl)).name("parse+validate")
                .uid("parse");
        SingleOutputStreamOperator<Review> unique = parsed.keyBy(Review::userKey)
                .process(new Deduplicate(dedupTtl)).name("dedup").uid("dedup");
        // same key as the dedup: no second shuffle, the holdout operator chains onto the dedup
        SingleOutputStreamOperator<TrainOut> train = DataStreamUtils.reinterpretAsKeyedStream(unique, Review::userKey)
                .process(new HoldoutFunction()).name("rolling-holdout").uid("holdout");
        DataStream<Rejected> rejected = parsed.getSideOutput(ParseReviews.REJECTED)
                .union(unique.getSideOutput(ParseReviews.REJECTED));
        return new Outputs(train, train.getSideOutput(HoldoutFunction.HOLDOUTS), rejected);
    }

    /** Reads every {@code xmrec.reviews.*} topic (a new market is a new topic) from the beginning. */
    public static KafkaSource<RawRecord> source(Settings s) {
        Properties p = new Properties();
        p.putAll(s.clientProps());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (!s.bounded()) {
            p.put("partition.discovery.interval.ms", "10000"); // a bounded source sets -1 itself
        }
        var b = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(s.bootstrap())
                .setTopicPattern(Topics.reviewsPattern())
                .setGroupId(GROUP)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(
                        org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST))
                .setProperties(p)
                .setDeserializer(new RawDeserializer());
        if (s.bounded()) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    /** Keeps the record whole: decoding happens in the topology, so bad bytes become dead letters. */
    static final class RawDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawRecord> out) {
            out.collect(new RawRecord(r.topic(), r.partition(), r.offset(), r.key(), r.value()));
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }

    /** Writes the outputs to xmrec.train, xmrec.holdouts and xmrec.deadletter, exactly once. */
    public static void attachSinks(Outputs o, Settings s) {
        o.train().sinkTo(sink(s, Topics.TRAIN, "train", t -> new AvroKafkaRecordSerializer.KeyedRecord(
                t.market + "|" + t.user, TrainingInteraction.newBuilder().setMarket(t.market).setUser(t.user)
                        .setItem(t.item).setRating(t.rating).setEventTime(Instant.ofEpochMilli(t.eventTime))
                        .setEventId(t.eventId).setArrival(t.arrival).build()))).name("xmrec.train").uid("sink-train");
        o.holdouts().sinkTo(sink(s, Topics.HOLDOUTS, "holdouts", h -> new AvroKafkaRecordSerializer.KeyedRecord(
                h.market + "|" + h.user, HoldoutState.newBuilder().setMarket(h.market).setUser(h.user)
                        .setValidItem(h.validItem).setValidTime(h.validTime == null ? null : Instant.ofEpochMilli(h.validTime))
                        .setTestItem(h.testItem).setTestTime(Instant.ofEpochMilli(h.testTime))
                        .setTrainCount(h.trainCount).setVersion(h.version).build())))
                .name("xmrec.holdouts").uid("sink-holdouts");
        o.rejected().sinkTo(sink(s, Topics.DEADLETTER, "deadletter", r -> new AvroKafkaRecordSerializer.KeyedRecord(
                r.topic + "/" + r.partition + "@" + r.offset, DeadLetters.of(r.topic, r.partition, r.offset, r.key,
                        r.value, r.errorClass, r.reason, r.stage, r.time))))
                .name("xmrec.deadletter").uid("sink-deadletter");
    }

    private static <T> KafkaSink<T> sink(Settings s, String topic, String name,
                                         AvroKafkaRecordSerializer.Mapping<T> mapping) {
        Properties p = new Properties();
        p.putAll(s.clientProps());
        // within the broker's transaction.max.timeout.ms (15 min by default)
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000");
        return KafkaSink.<T>builder()
                .setBootstrapServers(s.bootstrap())
                .setKafkaProducerConfig(p)
                .setDeliveryGuarantee(s.exactlyOnce() ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(s.transactionalIdPrefix() + "-" + name)
                .setRecordSerializer(new AvroKafkaRecordSerializer<>(topic, s.registryUrl(), mapping))
                .build();
    }

    /** Builds the whole job on {@code env}: Kafka in, topology, Kafka out, checkpointing on. */
    public static void define(StreamExecutionEnvironment env, Settings s) {
        env.enableCheckpointing(s.checkpointInterval().toMillis());
        // every operator emits fresh objects and keeps none it has emitted: chained operators may share them
        env.getConfig().enableObjectReuse();
        // a stop while a topic discovery is in flight is not reported as a failure (see QuietlyClosingSource)
        DataStream<RawRecord> in = env.fromSource(new QuietlyClosingSource<>(source(s), TypeInformation.of(RawRecord.class)),
                WatermarkStrategy.noWatermarks(), "xmrec.reviews.*").uid("source");
        attachSinks(build(in, s.registryUrl(), s.dedupTtl()), s);
    }
}
