package io.xmrec.ingest;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReplayEventsTest {

    @Test
    void mergesMarketsByDayKeepingFileOrderWithinADayAndIdsFromTheLine() {
        MarketData de = new MarketData("de", Path.of("de_5core.txt"), "x", List.of(
                new Interaction("u1", "a", 5, 10, 2),
                new Interaction("u1", "b", 4, 9, 3),
                new Interaction("u1", "a", 5, 10, 4)), 0); // the same pair again on the same day: a separate event
        MarketData uk = new MarketData("uk", Path.of("uk_5core.txt"), "y", List.of(
                new Interaction("v", "c", 3, 10, 2),
                new Interaction("v", "d", 3, 8, 3)), 0);
        List<ReplayEvents.Sourced> m = ReplayEvents.merge(List.of(de, uk));
        assertEquals(List.of("uk:uk_5core.txt:3", "de:de_5core.txt:3", "de:de_5core.txt:2", "de:de_5core.txt:4",
                "uk:uk_5core.txt:2"), m.stream().map(s -> s.event().getEventId()).toList());
        assertEquals(Instant.ofEpochMilli(10 * ReplayEvents.MILLIS_PER_DAY), m.get(2).event().getEventTime());
        assertEquals("de_5core.txt:2", m.get(2).event().getSource());
    }
}
