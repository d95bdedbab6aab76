package io.xmrec.schemas;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicsTest {

    @Test
    void reviewTopicsPerMarketAndTheirPattern() {
        assertEquals("xmrec.reviews.de", Topics.reviews("de"));
        assertEquals("de", Topics.marketOf("xmrec.reviews.de"));
        assertNull(Topics.marketOf("xmrec.train"));
        assertTrue(Topics.reviewsPattern().matcher("xmrec.reviews.br").matches(), "a new market is a new topic");
        assertFalse(Topics.reviewsPattern().matcher("xmrec.reviewsXde").matches());
        assertEquals("xmrec.reviews.de-value", Topics.valueSubject("xmrec.reviews.de"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Topics.reviews("DE/x"));
        assertTrue(e.getMessage().contains("DE/x"));
    }

    @Test
    void modelTopicIsCompactedWithRoomForAModel() {
        var t = TopicSetup.topics(java.util.List.of("in"));
        assertEquals("compact", t.get(Topics.MODELS).get("cleanup.policy"));
        assertEquals("compact", t.get(Topics.HOLDOUTS).get("cleanup.policy"));
        assertTrue(Integer.parseInt(t.get(Topics.MODELS).get("max.message.bytes")) >= 16 * 1024 * 1024);
        assertTrue(t.containsKey("xmrec.reviews.in") && t.containsKey(Topics.DEADLETTER) && t.containsKey(Topics.TRAIN));
    }

    @Test
    void aTopicPrefixComesFromThePropertyElseTheEnvironmentAndIsChecked() {
        assertEquals("", Topics.prefix(null, null));
        assertEquals("team-a.", Topics.prefix(null, "team-a."));
        assertEquals("p.", Topics.prefix("p.", "team-a."), "the system property wins");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Topics.prefix("bad prefix/", null));
        assertTrue(e.getMessage().contains("bad prefix/"), e.getMessage());
        assertEquals("de", Topics.marketOf("team-a.xmrec.reviews.de", "team-a.xmrec.reviews."));
        assertNull(Topics.marketOf("xmrec.reviews.de", "team-a.xmrec.reviews."), "another installation's topic");
    }
}
