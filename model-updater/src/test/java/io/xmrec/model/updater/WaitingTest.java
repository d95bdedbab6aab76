package io.xmrec.model.updater;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Interactions waiting for a model: taken by user or by offset, and what a model can claim to have trained through. */
class WaitingTest {

    @Test
    void takenByUserOrBeforeAnOffsetAndTheFirstOneLeftBoundsWhatAModelHasTrainedThrough() {
        Waiting w = new Waiting();
        w.add(new Pending.Promoted("a", "p0", 10, 1));
        w.add(new Pending.Promoted("b", "p0", 11, 2));
        w.add(new Pending.Promoted("a", "p1", 5, 3));
        w.add(new Pending.Promoted("c", "p0", 12, 4));
        w.add(new Pending.Promoted("b", "p1", 6, 5));
        assertEquals(5, w.size());
        assertEquals(Map.of("p0", 10L, "p1", 5L, "p2", 3L), w.lowered(Map.of("p0", 13L, "p1", 7L, "p2", 3L)));

        List<Long> taken = new ArrayList<>();
        w.take("a", taken::add);
        assertEquals(List.of(1L, 3L), taken, "both of a's, in the order read");
        assertFalse(w.has("a"));
        assertEquals(Map.of("p0", 11L, "p1", 6L), w.lowered(Map.of("p0", 13L, "p1", 7L)),
                "a's taken: the first left is b's on both partitions");

        taken.clear();
        w.takeBefore(Map.of("p0", 12L), taken::add);
        assertEquals(List.of(2L), taken, "b's on p0 only: p1 is not named, c's is at 12");
        assertTrue(w.has("b") && w.has("c"));
        assertEquals(2, w.size());

        w.add(new Pending.Promoted("a", "p0", 13, 6)); // a waits again, after its first ones were taken
        taken.clear();
        w.takeBefore(Map.of("p0", 14L, "p1", 7L), taken::add);
        assertEquals(java.util.Set.of(4L, 5L, 6L), new java.util.HashSet<>(taken), "c's and a's new one on p0, b's on p1");
        assertEquals(3, taken.size());
        assertTrue(w.isEmpty());
        assertEquals(Map.of("p0", 14L), w.lowered(Map.of("p0", 14L)), "nothing waits: where the input was read to");
    }
}
