package io.xmrec.core.holdout;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RollingHoldoutTest {

    private static Interaction ev(String user, String item, long day, long seq) {
        return new Interaction(user, item, 5f, day, seq);
    }

    @Test
    void newEventBecomesTestPreviousTestValidationPreviousValidationTrain() {
        RollingHoldout h = new RollingHoldout();
        Interaction a = ev("u", "a", 1, 1);
        Interaction b = ev("u", "b", 2, 2);
        Interaction c = ev("u", "c", 3, 3);
        assertNull(h.add(a).promoted());
        assertEquals(a, h.test().orElseThrow());
        assertNull(h.add(b).promoted());
        assertEquals(a, h.validation().orElseThrow());
        assertEquals(b, h.test().orElseThrow());
        RollingHoldout.Update u = h.add(c);
        assertEquals(a, u.promoted());
        assertTrue(u.holdoutChanged());
        assertEquals(b, h.validation().orElseThrow());
        assertEquals(c, h.test().orElseThrow());
        assertEquals(1, h.trainCount());
    }

    @Test
    void lateEventIsPlacedByEventTime() {
        RollingHoldout h = new RollingHoldout();
        h.add(ev("u", "a", 10, 1));
        h.add(ev("u", "b", 20, 2));
        h.add(ev("u", "c", 30, 3));
        // older than validation: straight to training, holdout untouched
        RollingHoldout.Update late = h.add(ev("u", "old", 5, 4));
        assertEquals("old", late.promoted().item());
        assertFalse(late.holdoutChanged());
        // between validation (20) and test (30): becomes validation, old validation goes to train
        RollingHoldout.Update mid = h.add(ev("u", "mid", 25, 5));
        assertEquals("b", mid.promoted().item());
        assertEquals("mid", h.validation().orElseThrow().item());
        assertEquals("c", h.test().orElseThrow().item());
        assertEquals(3, h.trainCount());
        assertEquals(5, h.size());
    }

    @Test
    void tiesOnTheSameDayKeepInputOrder() {
        // same day: the later line is the later event, whatever order they arrive in
        Interaction first = ev("u", "first", 7, 10);
        Interaction second = ev("u", "second", 7, 11);
        Interaction third = ev("u", "third", 7, 12);
        for (List<Interaction> order : List.of(List.of(first, second, third), List.of(third, first, second),
                List.of(second, third, first))) {
            RollingHoldout h = new RollingHoldout();
            order.forEach(h::add);
            assertEquals("third", h.test().orElseThrow().item());
            assertEquals("second", h.validation().orElseThrow().item());
            assertEquals(1, h.trainCount());
        }
    }

    @Test
    void usersBelowTheMinimumAreDroppedAndTheMinimumIsASetting() {
        List<Interaction> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(ev("six", "i" + i, i, i));
        }
        for (int i = 0; i < 7; i++) {
            events.add(ev("seven", "i" + i, i, 100 + i));
        }
        MarketSplit s = new LeaveOneOutSplitter(7).split("xx", events);
        assertEquals(1, s.users().size());
        assertEquals("seven", s.users().get(0).user());
        assertEquals(1, s.droppedUsers());
        assertEquals(5, s.users().get(0).train().size());
        assertEquals(2, new LeaveOneOutSplitter(6).split("xx", events).users().size());
        assertThrows(IllegalArgumentException.class, () -> new LeaveOneOutSplitter(2));
    }

    @Test
    void restoreRejectsImpossibleStateAndContinuesFromValidState() {
        Interaction a = ev("u", "a", 1, 1);
        Interaction b = ev("u", "b", 2, 2);
        assertThrows(IllegalArgumentException.class, () -> RollingHoldout.restore(b, a, 0));
        assertThrows(IllegalArgumentException.class, () -> RollingHoldout.restore(null, a, 3));
        assertThrows(IllegalArgumentException.class, () -> RollingHoldout.restore(a, null, 0));
        RollingHoldout h = RollingHoldout.restore(a, b, 4);
        assertEquals(a, h.add(ev("u", "c", 3, 3)).promoted());
        assertEquals(5, h.trainCount());
    }

    /** Reference split written independently: stable sort by (day, line), last = test, second-last = valid. */
    private static Map<String, UserSplit> sortedSplit(List<Interaction> all, int min) {
        Map<String, List<Interaction>> byUser = all.stream().collect(Collectors.groupingBy(Interaction::user));
        Map<String, UserSplit> out = new HashMap<>();
        byUser.forEach((u, list) -> {
            List<Interaction> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingLong(Interaction::epochDay)); // stable: ties keep file order
            if (sorted.size() >= min) {
                int n = sorted.size();
                out.put(u, new UserSplit(u, sorted.subList(0, n - 2), sorted.get(n - 2), sorted.get(n - 1)));
            }
        });
        return out;
    }

    @Test
    void streamingOneEventAtATimeGivesTheBatchSplitOnEveryRealMarketInAnyArrivalOrder() {
        for (String market : List.of("in", "jp", "de")) {
            MarketData d = TestData.market(market);
            Map<String, UserSplit> expected = sortedSplit(d.interactions(), 7);
            List<Interaction> shuffled = new ArrayList<>(d.interactions());
            Collections.shuffle(shuffled, new Random(7));
            for (List<Interaction> order : List.of(d.interactions(), shuffled)) {
                MarketSplit got = new LeaveOneOutSplitter(7).split(market, order);
                assertEquals(expected.size(), got.users().size(), market);
                for (UserSplit u : got.users()) {
                    UserSplit e = expected.get(u.user());
                    assertEquals(e.validation(), u.validation(), market + " " + u.user());
                    assertEquals(e.test(), u.test(), market + " " + u.user());
                    assertEquals(sortedBySeq(e.train()), sortedBySeq(u.train()), market + " " + u.user());
                }
            }
        }
    }

    private static List<Interaction> sortedBySeq(List<Interaction> l) {
        List<Interaction> c = new ArrayList<>(l);
        c.sort(Comparator.comparingLong(Interaction::seq));
        return c;
    }

    @Test
    void realSplitKeepsEveryInteractionExactlyOnce() {
        MarketData d = TestData.market("in");
        MarketSplit s = new LeaveOneOutSplitter(7).split(d);
        int n = 0;
        for (UserSplit u : s.users()) {
            n += u.train().size() + 2;
            for (Interaction t : u.train()) {
                assertTrue(Interaction.compareByTime(t, u.validation()) < 0);
            }
            assertTrue(Interaction.compareByTime(u.validation(), u.test()) < 0);
        }
        assertEquals(d.interactions().size(), n); // no user of the 5-core file has fewer than 7
        assertEquals(0, s.droppedUsers());
    }
}
