package io.xmrec.stream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keyed operators of the holdout job in Flink's operator test harness. */
class HoldoutOperatorsTest {

    private static int offset;

    static Review review(String user, String item, String day, String id) {
        Review r = new Review();
        r.market = "de";
        r.user = user;
        r.item = item;
        r.rating = 5f;
        r.eventTime = LocalDate.parse(day).toEpochDay() * HoldoutFunction.DAY;
        r.eventId = id;
        r.raw = new RawRecord("xmrec.reviews.de", 0, offset++, user.getBytes(), new byte[] {0});
        return r;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Review, TrainOut> holdoutHarness() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Review, TrainOut> h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new HoldoutFunction()), Review::userKey, Types.STRING);
        h.open();
        return h;
    }

    private static List<String> trainItems(KeyedOneInputStreamOperatorTestHarness<String, Review, TrainOut> h) {
        return h.extractOutputValues().stream().map(t -> t.user + ":" + t.item).collect(Collectors.toList());
    }

    private static HoldoutOut lastHoldout(KeyedOneInputStreamOperatorTestHarness<String, Review, TrainOut> h,
                                          String user) {
        HoldoutOut last = null;
        for (StreamRecord<HoldoutOut> r : Objects.requireNonNull(h.getSideOutput(HoldoutFunction.HOLDOUTS))) {
            if (r.getValue().user.equals(user)) {
                last = r.getValue();
            }
        }
        return last;
    }

    @Test
    void newEventsRollTheHoldoutAndPromoteTheOldValidationItem() throws Exception {
        try (var h = holdoutHarness()) {
            h.processElement(review("u", "a", "2020-01-01", "1"), 0);
            h.processElement(review("u", "b", "2020-01-02", "2"), 0);
            HoldoutOut two = lastHoldout(h, "u");
            assertEquals("a", two.validItem);
            assertEquals("b", two.testItem);
            assertTrue(trainItems(h).isEmpty());
            h.processElement(review("u", "c", "2020-01-03", "3"), 0);
            h.processElement(review("u", "d", "2020-01-03", "4"), 0); // same day: arrival order decides
            assertEquals(List.of("u:a", "u:b"), trainItems(h));
            HoldoutOut four = lastHoldout(h, "u");
            assertEquals("c", four.validItem);
            assertEquals("d", four.testItem);
            assertEquals(2, four.trainCount);
            assertEquals(4, four.version);
        }
    }

    @Test
    void lateEventsArePlacedByEventTime() throws Exception {
        try (var h = holdoutHarness()) {
            h.processElement(review("u", "a", "2020-01-01", "1"), 0);
            h.processElement(review("u", "c", "2020-01-05", "2"), 0);
            h.processElement(review("u", "d", "2020-01-07", "3"), 0); // a -> train
            h.processElement(review("u", "b", "2020-01-03", "4"), 0); // older than validation c: straight to train
            h.processElement(review("u", "x", "2020-01-06", "5"), 0); // between c and d: new validation, c -> train
            assertEquals(List.of("u:a", "u:b", "u:c"), trainItems(h));
            HoldoutOut last = lastHoldout(h, "u");
            assertEquals("x", last.validItem);
            assertEquals("d", last.testItem);
            assertEquals(3, last.trainCount);
        }
    }

    @Test
    void stateStaysOneEntryPerUserAndUsersAreIndependent() throws Exception {
        try (var h = holdoutHarness()) {
            for (int i = 0; i < 50; i++) {
                h.processElement(review("u" + (i % 3), "i" + i, LocalDate.of(2020, 1, 1).plusDays(i).toString(), "e" + i), 0);
            }
            assertEquals(3, h.numKeyedStateEntries(), "one constant-size holdout per user, whatever the history");
            assertEquals(50 - 3 * 2, h.extractOutputValues().size());
            assertNull(lastHoldout(h, "nobody"));
        }
    }

    @Test
    void duplicatesGoToTheDeadLetterOutputAndFreshIdsPass() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, Review, Review>(
                new KeyedProcessOperator<>(new Deduplicate(Duration.ofDays(1))), Review::userKey, Types.STRING)) {
            h.open();
            h.setProcessingTime(1_000);
            h.processElement(review("u", "a", "2020-01-01", "e1"), 0);
            h.processElement(review("u", "a", "2020-01-01", "e2"), 0); // same pair, another line: kept
            h.processElement(review("u", "a", "2020-01-01", "e1"), 0); // re-delivered
            h.processElement(review("v", "a", "2020-01-01", "e1"), 0); // ids are per user
            assertEquals(3, h.extractOutputValues().size());
            var dead = h.getSideOutput(ParseReviews.REJECTED);
            assertEquals(1, dead.size());
            assertEquals(Deduplicate.ERROR_CLASS, dead.peek().getValue().errorClass);
            assertTrue(dead.peek().getValue().reason.contains("e1"));
            // an id is remembered for the time to live only: a day later it is new again, and the state stays small
            h.setProcessingTime(1_000 + Duration.ofDays(1).toMillis() + 1);
            h.processElement(review("u", "a", "2020-01-02", "e1"), 0);
            assertEquals(4, h.extractOutputValues().size());
            assertEquals(1, dead.size());
            assertEquals(2, Deduplicate.prune(new long[] {7, 5, 8, 100}, 50).length, "expired pairs pruned");
        }
    }
}
