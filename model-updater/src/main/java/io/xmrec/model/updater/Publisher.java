package io.xmrec.model.updater;

import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.UpdateEvent;
import io.xmrec.schemas.registry.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.xmrec.serving.ModelParts;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Where the updater's output goes. Each market's snapshots ({@code xmrec.models}) and deltas
 * ({@code xmrec.model-deltas}) go through a transactional producer of its own whose
 * transactional id names the market: when another updater takes the market over and opens its
 * channel, Kafka fences this one, so a stalled former owner can never publish a version after the
 * new owner did ({@link Fenced}). Forks and reports go through a plain idempotent producer. A model
 * version larger than {@link ModelParts#PART_BYTES} goes out as several records ({@link ModelParts}):
 * its parts, then its head, to the head's partition, a snapshot's in one transaction. A delta larger
 * than the topic's limit is refused before sending ({@link TooLarge}) and the previous version stays
 * current.
 */
final class Publisher implements AutoCloseable {

    /** A model that does not fit in one record. */
    static final class TooLarge extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /** Another updater has taken the market over: this one must stop publishing it. */
    static final class Fenced extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Fenced(String market, Throwable cause) {
            super("another updater owns " + market + " now: this one was fenced off its transactions", cause);
        }
    }

    /** What a publication took: encoded bytes, where the (head) record went, and in how many records. */
    record Sent(int bytes, int partition, long offset, int records) {
        Sent(int bytes, int partition, long offset) {
            this(bytes, partition, offset, 1);
        }
    }

    private final String bootstrap;
    private final Map<String, Object> clientProps;
    private final AvroSerde serde;
    private final int maxBytes;
    private final KafkaProducer<String, byte[]> plain;

    Publisher(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, int maxBytes) {
        this.bootstrap = bootstrap;
        this.clientProps = clientProps;
        this.serde = serde;
        this.maxBytes = maxBytes;
        this.plain = new KafkaProducer<>(props(null), new StringSerializer(), new ByteArraySerializer());
    }

    private Map<String, Object> props(String transactionalId) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes + 1024);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 2L * maxBytes));
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        if (transactionalId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
        }
        return p;
    }

    /** The transactional id of a market's channel: the same on every updater, so owners fence each other. */
    static String transactionalId(String market) {
        return Topics.PREFIX + "xmrec-updater-" + market;
    }

    /** Opens a market's channel, fencing whoever published the market before. */
    Channel open(String market) {
        KafkaProducer<String, byte[]> p = new KafkaProducer<>(props(transactionalId(market)), new StringSerializer(),
                new ByteArraySerializer());
        try {
            p.initTransactions();
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw new IllegalStateException("cannot open the publishing transactions of " + market + " on " + bootstrap
                    + ": " + e.getMessage(), e);
        }
        return new Channel(market, p);
    }

    /** One market's transactional channel (used by one thread at a time: the market's jobs are serial). */
    final class Channel implements AutoCloseable {
        private final String market;
        private final KafkaProducer<String, byte[]> producer;
        private volatile boolean fenced;

        private Channel(String market, KafkaProducer<String, byte[]> producer) {
            this.market = market;
            this.producer = producer;
        }

        Sent snapshot(ModelRecord r) {
            String key = r.getReference() ? Topics.referenceKey(market) : market;
            return inTransaction(r.getVersion(), () -> sendParts(producer, Topics.MODELS, key, r));
        }

        Sent delta(ModelDelta d) {
            byte[] value = checked(Topics.MODEL_DELTAS, serde.serialize(Topics.MODEL_DELTAS, d), d.getVersion());
            return inTransaction(d.getVersion(), () -> {
                RecordMetadata md = producer.send(new ProducerRecord<>(Topics.MODEL_DELTAS, market, value))
                        .get(60, TimeUnit.SECONDS);
                return new Sent(value.length, md.partition(), md.offset());
            });
        }

        private byte[] checked(String topic, byte[] value, long version) {
            if (value.length > maxBytes) {
                throw new TooLarge(String.format("model %s v%d is %,d bytes, over the %,d-byte record limit of %s: raise "
                        + "max.message.bytes of the topic (and the broker's message.max.bytes) or publish a smaller model; "
                        + "version %d stays unpublished", market, version, value.length, maxBytes, topic, version));
            }
            return value;
        }

        /**
         * Runs {@code sends} in one transaction of this market's channel: committed whole, or aborted;
         * fenced for good once another owner has opened the channel.
         */
        private Sent inTransaction(long version, java.util.concurrent.Callable<Sent> sends) {
            if (fenced) {
                throw new Fenced(market, null);
            }
            try {
                producer.beginTransaction();
                Sent s = sends.call();
                producer.commitTransaction();
                return s;
            } catch (ProducerFencedException | InvalidProducerEpochException e) {
                fenced = true;
                throw new Fenced(market, e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                abort();
                if (c instanceof ProducerFencedException || c instanceof InvalidProducerEpochException) {
                    fenced = true;
                    throw new Fenced(market, c);
                }
                throw new IllegalStateException("cannot publish " + market + " v" + version + ": " + c.getMessage(), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abort();
                throw new IllegalStateException("interrupted while publishing " + market + " v" + version, e);
            } catch (TooLarge e) {
                abort();
                throw e;
            } catch (Exception e) {
                abort();
                throw new IllegalStateException("cannot publish " + market + " v" + version + ": " + e, e);
            }
        }

        private void abort() {
            try {
                producer.abortTransaction();
            } catch (RuntimeException ignored) {
                // fenced or closed: nothing to abort
            }
        }

        boolean fenced() {
            return fenced;
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Sends a version's parts and then its head to the partition of its key (the caller's transaction,
     * if any, makes them one); returns the bytes, and where the head went.
     */
    private Sent sendParts(KafkaProducer<String, byte[]> producer, String topic, String key, ModelRecord r)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        int partition = partitionOf(producer, topic, key);
        List<ModelRecord> parts = ModelParts.split(r, Math.min(maxBytes, ModelParts.PART_BYTES));
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        long bytes = 0;
        for (ModelRecord p : parts) {
            byte[] value = serde.serialize(topic, p);
            if (value.length > maxBytes) {
                throw new TooLarge(String.format("part %d of %s v%d is %,d bytes, over the %,d-byte record limit of %s",
                        p.getPart(), key, r.getVersion(), value.length, maxBytes, topic));
            }
            bytes += value.length;
            sent.add(producer.send(new ProducerRecord<>(topic, partition, ModelParts.key(key, p.getPart()), value)));
        }
        RecordMetadata head = null;
        for (java.util.concurrent.Future<RecordMetadata> f : sent) {
            head = f.get(120, TimeUnit.SECONDS);
        }
        return new Sent((int) Math.min(Integer.MAX_VALUE, bytes), head.partition(), head.offset(), parts.size());
    }

    /** The partition Kafka's default partitioner gives {@code key}: all parts of a version go there. */
    private static int partitionOf(KafkaProducer<String, byte[]> producer, String topic, String key) {
        int n = producer.partitionsFor(topic).size();
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % n;
    }

    /** A trunk's fork of a market, for the market's owner (whichever updater that is). */
    void fork(ModelRecord r) {
        try {
            sendParts(plain, Topics.FORKS, r.getMarket(), r);
        } catch (TooLarge e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot publish the fork of " + r.getMarket() + ": " + e, e);
        }
    }

    /** A single-market reference model (key {@code market/nmf} on {@code xmrec.models}; clients keep it apart). */
    void reference(ModelRecord r) {
        try {
            sendParts(plain, Topics.MODELS, Topics.referenceKey(r.getMarket()), r);
        } catch (TooLarge e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot publish the reference of " + r.getMarket() + ": " + e, e);
        }
    }

    /** A report on {@code xmrec.updates} (not waited for: a lost report loses no data). */
    void report(UpdateEvent e) {
        plain.send(new ProducerRecord<>(Topics.UPDATES, e.getMarket(), serde.serialize(Topics.UPDATES, e)));
    }

    @Override
    public void close() {
        plain.close(Duration.ofSeconds(5));
    }
}
