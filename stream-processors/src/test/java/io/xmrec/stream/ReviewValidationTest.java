package io.xmrec.stream;

import io.xmrec.schemas.ReviewEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReviewValidationTest {

    private static final long NOW = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    private static ReviewEvent.Builder ok() {
        return ReviewEvent.newBuilder().setMarket("de").setUser("u").setItem("i").setRating(4)
                .setEventTime(Instant.parse("2018-03-01T00:00:00Z"));
    }

    private static String problem(ReviewEvent e) {
        return ReviewValidation.problem(e, "xmrec.reviews.de", NOW);
    }

    @Test
    void eachKindOfBadFieldIsNamed() {
        assertNull(problem(ok().build()));
        assertTrue(problem(ok().setUser(" ").build()).contains("user is missing"));
        assertTrue(problem(ok().setItem("").build()).contains("item is missing"));
        assertTrue(problem(ok().setMarket("").build()).contains("market is missing"));
        assertTrue(problem(ok().setMarket("uk").build()).contains("does not match topic xmrec.reviews.de"));
        assertTrue(problem(ok().setRating(5.5f).build()).contains("outside 1..5"));
        assertTrue(problem(ok().setRating(Float.NaN).build()).contains("outside 1..5"));
        assertTrue(problem(ok().setEventTime(Instant.parse("1980-01-01T00:00:00Z")).build()).contains("absurd"));
        assertTrue(problem(ok().setEventTime(Instant.parse("2027-01-01T00:00:00Z")).build()).contains("absurd"));
        assertTrue(problem(ok().setUser("u".repeat(257)).build()).contains("longer than 256"));
        assertNull(problem(ok().setUser("u".repeat(256)).build()));
        assertTrue(problem(ok().setItem("B00 X").build()).contains("item id has a white-space"));
        assertTrue(problem(ok().setUser("u\u0000").build()).contains("U+0000) at 1"));
        assertTrue(problem(ok().setUser("\uFFFDu").build()).contains("U+FFFD) at 0"));
    }
}
