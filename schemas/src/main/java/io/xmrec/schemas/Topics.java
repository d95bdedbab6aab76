package io.xmrec.schemas;

import java.util.regex.Pattern;

/** Topic names of xmrec, with an optional prefix for shared clusters. */
public final class Topics {

    public static final String REVIEWS_PREFIX = "xmrec.reviews.";
    public static final String TRAIN = "xmrec.train";
    public static final String HOLDOUTS = "xmrec.holdouts";
    public static final String MODELS = "xmrec.models";
    public static final String METRICS = "xmrec.metrics";
    public static final String DEADLETTER = "xmrec.deadletter";
    /** What the model-updater did: every published or refused update and every trunk, with timings. */
    public static final String UPDATES = "xmrec.updates";
    /** Where the schema registry keeps its schemas (compacted), as Confluent Schema Registry does. */
    public static final String SCHEMAS = "_schemas";

    private static final Pattern MARKET = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private Topics() {
    }

    /** The review topic of a market: {@code xmrec.reviews.<market>}. */
    public static String reviews(String market) {
        if (market == null || !MARKET.matcher(market).matches()) {
            throw new IllegalArgumentException("market code '" + market
                    + "' must be lower-case letters, digits, '_' or '-', starting with a letter (at most 32)");
        }
        return REVIEWS_PREFIX + market;
    }

    /** The pattern that matches every market's review topic. */
    public static Pattern reviewsPattern() {
        return Pattern.compile(Pattern.quote(REVIEWS_PREFIX) + "[a-z][a-z0-9_-]*");
    }

    /** The market of a review topic, or null when the topic is not one. */
    public static String marketOf(String topic) {
        if (topic == null || !topic.startsWith(REVIEWS_PREFIX)) {
            return null;
        }
        String m = topic.substring(REVIEWS_PREFIX.length());
        return MARKET.matcher(m).matches() ? m : null;
    }

    /** Key on {@link #MODELS} of a market's single-market NMF reference model. */
    public static String referenceKey(String market) {
        return market + "/nmf";
    }

    /** The registry subject of a topic's values (Confluent's TopicNameStrategy). */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }
}
