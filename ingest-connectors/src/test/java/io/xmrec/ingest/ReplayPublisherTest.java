package io.xmrec.ingest;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.InMemorySchemaRegistry;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayPublisherTest {

    private final AvroSerde serde = new AvroSerde(new InMemorySchemaRegistry());
    /** What the "brokers" hold: event ids in the order they were written, across producers. */
    private final List<String> log = new ArrayList<>();

    /**
     * A producer that acknowledges its first {@code ok} sends, then fails every later one with {@code error};
     * of the failed ones the first {@code writtenUnacked} were written all the same (their acks were lost).
     */
    private final class Brokers extends MockProducer<String, byte[]> {
        private final int ok;
        private final int writtenUnacked;
        private final RuntimeException error;
        private int sends;

        Brokers(int ok, int writtenUnacked, RuntimeException error) {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
            this.ok = ok;
            this.writtenUnacked = writtenUnacked;
            this.error = error;
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> r, Callback cb) {
            int n = sends++;
            String id = serde.deserialize(r.value(), ReviewEvent.class).getEventId();
            if (n < ok) {
                log.add(id);
                return super.send(r, cb);
            }
            if (n < ok + writtenUnacked) {
                log.add(id);
            }
            cb.onCompletion(null, error);
            return CompletableFuture.failedFuture(error);
        }
    }

    private static List<ReplayEvents.Sourced> events(int n) {
        List<Interaction> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new Interaction("u" + (i % 7), "i" + i, 5, 100 + i / 10, i));
        }
        return ReplayEvents.merge(List.of(new MarketData("es-b2b", Path.of("es-b2b_5core.txt"), "x", list, 0)));
    }

    private ReplayPublisher publisher(Producer<String, byte[]>... producers) {
        Deque<Producer<String, byte[]>> queue = new ArrayDeque<>(List.of(producers));
        Supplier<Producer<String, byte[]>> next = () -> {
            if (queue.isEmpty()) {
                throw new AssertionError("more producers asked for than the test expected");
            }
            return queue.poll();
        };
        return new ReplayPublisher(next, serde, 0, Duration.ofHours(1), line -> { });
    }

    @Test
    void aProducerThatFailsMidReplayIsReplacedAndEveryEventNotAcknowledgedIsSentAgainInOrder() {
        List<ReplayEvents.Sourced> events = events(100);
        ReplayPublisher.Summary s = publisher(new Brokers(40, 3, new OutOfOrderSequenceException("sequence gap")),
                new Brokers(Integer.MAX_VALUE, 0, null)).publish(events);

        List<String> ids = events.stream().map(e -> e.event().getEventId()).toList();
        assertEquals(100, s.events());
        assertEquals(1, s.restarts());
        // the first producer's first failure stops it at once: it had sent 41 events, 1 of them failed
        assertEquals(1, s.resent(), "only the events never acknowledged are sent again");
        assertEquals(ids, List.copyOf(new LinkedHashSet<>(log)), "every event is written, first writes in order");
        assertEquals(101, log.size(), "the one written but unacknowledged is on the topic twice, once per producer");
        assertEquals(ids.get(40), log.get(41), "and its second copy comes right after its first");
    }

    @Test
    void aFailureThatSendingAgainCannotMendEndsTheReplayWithTheReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> publisher(
                new Brokers(10, 0, new RecordTooLargeException("record of 70000000 bytes"))).publish(events(50)));
        assertTrue(e.getMessage().contains("record of 70000000 bytes") && e.getMessage().contains("0 producer restarts"),
                e.getMessage());
    }

    @Test
    void brokersThatAcknowledgeNothingEndTheReplayAfterFourProducers() {
        RuntimeException gap = new OutOfOrderSequenceException("sequence gap");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> publisher(new Brokers(20, 0, gap),
                new Brokers(0, 0, gap), new Brokers(0, 0, gap), new Brokers(0, 0, gap), new Brokers(0, 0, gap))
                .publish(events(50)));
        assertTrue(e.getMessage().contains("4 producer restarts"), e.getMessage());
    }
}
