package io.xmrec.stream;

import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.Topics;

import java.time.Instant;

/** What makes a review event acceptable; each failure says what is wrong. */
public final class ReviewValidation {

    /** Reviews before this are absurd for e-commerce data (Amazon opened in 1995). */
    public static final Instant EARLIEST = Instant.parse("1995-01-01T00:00:00Z");
    /** Clock skew tolerated into the future. */
    public static final long FUTURE_SLACK_MILLIS = 86_400_000L;
    /** Longest user or item id: ASINs are 10 characters, user ids a few dozen. */
    public static final int MAX_ID_LENGTH = 256;

    private ReviewValidation() {
    }

    /** Null when {@code e} read from {@code topic} is valid, else the reason. */
    public static String problem(ReviewEvent e, String topic, long nowMillis) {
        return problem(e, topic, Topics.REVIEWS_PREFIX, nowMillis);
    }

    /** The same with the review topics' prefix given (as the job captured it). */
    public static String problem(ReviewEvent e, String topic, String reviewsPrefix, long nowMillis) {
        String topicMarket = Topics.marketOf(topic, reviewsPrefix);
        if (blank(e.getMarket())) {
            return "market is missing";
        }
        if (topicMarket != null && !topicMarket.equals(e.getMarket())) {
            return "market '" + e.getMarket() + "' does not match topic " + topic;
        }
        if (blank(e.getUser())) {
            return "user is missing";
        }
        if (blank(e.getItem())) {
            return "item is missing";
        }
        String bad = badId("user", e.getUser());
        if (bad == null) {
            bad = badId("item", e.getItem());
        }
        if (bad != null) {
            return bad;
        }
        float r = e.getRating();
        if (!(r >= 1f && r <= 5f)) {
            return "rating " + r + " is outside 1..5";
        }
        Instant t = e.getEventTime();
        if (t == null || t.isBefore(EARLIEST) || t.toEpochMilli() > nowMillis + FUTURE_SLACK_MILLIS) {
            return "event time " + t + " is absurd (before " + EARLIEST + " or in the future)";
        }
        return null;
    }

    /**
     * Null when an id can be used as given: at most {@link #MAX_ID_LENGTH} characters, no white space
     * or control characters (ids are space-separated in the XMarket files and in logs).
     */
    static String badId(String what, String id) {
        if (id.length() > MAX_ID_LENGTH) {
            return what + " id of " + id.length() + " characters is longer than " + MAX_ID_LENGTH;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || c == '\uFFFD') {
                return String.format("%s id has a white-space, control or replacement character (U+%04X) at %d", what,
                        (int) c, i);
            }
        }
        return null;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
