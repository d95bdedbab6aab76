package io.xmrec.core.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A market code is any short lower-case code; lists are parsed with one-line errors. */
class MarketsTest {

    @Test
    void shopCodesAreMarkets() {
        for (String ok : List.of("us", "es-b2b", "de_at", "x", "2024eu", "a".repeat(Markets.MAX_LENGTH))) {
            assertTrue(Markets.isValid(ok), ok);
        }
        for (String bad : List.of("", "US", "-us", "_us", "u s", "us.1", "a".repeat(Markets.MAX_LENGTH + 1), "ü")) {
            assertFalse(Markets.isValid(bad), bad);
        }
    }

    @Test
    void listsAreLowerCasedAndCheckedEntryByEntry() {
        assertEquals(List.of("us", "es-b2b"), Markets.parseList(" US, es-b2b "));
        assertEquals(List.of(), Markets.parseList(null));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> Markets.parseList("us,US"));
        assertTrue(twice.getMessage().contains("listed twice"), twice.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Markets.parseList("us,e\ts"));
        assertTrue(bad.getMessage().contains("'e\\x09s' is not valid") && !bad.getMessage().contains("\t"),
                bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Markets.parseList("us,,de"));
    }
}
