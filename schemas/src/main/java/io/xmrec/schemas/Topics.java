package io.xmrec.schemas;

import io.xmrec.core.data.Markets;

import java.util.regex.Pattern;

/** Topic names of xmrec, with an optional prefix for shared clusters. */
public final class Topics {

    private static final Pattern PREFIX_CHARS = Pattern.compile("[A-Za-z0-9._-]{0,100}"); // before PREFIX: init order

    /**
     * Put in front of every topic name, the evaluator's application id and the holdout job's group
     * and transactional ids, so several xmrec installations can share a cluster: the system
     * property {@code xmrec.topic.prefix}, else the environment variable {@code XMREC_TOPIC_PREFIX},
     * else nothing. Fixed for the life of the JVM (every role of one installation must use the same).
     */
    public static final String PREFIX = prefix(System.getProperty("xmrec.topic.prefix"), System.getenv("XMREC_TOPIC_PREFIX"));
    public static final String REVIEWS_PREFIX = PREFIX + "xmrec.reviews.";
    public static final String TRAIN = PREFIX + "xmrec.train";
    public static final String HOLDOUTS = PREFIX + "xmrec.holdouts";
    public static final String MODELS = PREFIX + "xmrec.models";
    /**
     * Small changes to the models between snapshots (keyed by market, time-retained): re-fitted or
     * folded-in rows, fine-tuned heads; a client applies those whose base is the version it holds.
     */
    public static final String MODEL_DELTAS = PREFIX + "xmrec.model-deltas";
    /**
     * Each trunk's FOREC fork of every market, before any micro-batch (compacted, keyed by market):
     * the updater training the trunk publishes them, each market's owner installs them.
     */
    public static final String FORKS = PREFIX + "xmrec.forks";
    public static final String METRICS = PREFIX + "xmrec.metrics";
    public static final String DEADLETTER = PREFIX + "xmrec.deadletter";
    /** What the model-updater did: every published or refused update and every trunk, with timings. */
    public static final String UPDATES = PREFIX + "xmrec.updates";
    /** Where the schema registry keeps its schemas (compacted), as Confluent Schema Registry does. */
    public static final String SCHEMAS = PREFIX + "_schemas";

    /** The prefix from the system property, else the environment; checked for characters Kafka allows. */
    static String prefix(String property, String env) {
        String p = property != null ? property : env != null ? env : "";
        if (!PREFIX_CHARS.matcher(p).matches()) {
            throw new IllegalArgumentException("topic prefix '" + p + "' (xmrec.topic.prefix / XMREC_TOPIC_PREFIX) may "
                    + "only hold letters, digits, '.', '_' and '-', at most 100");
        }
        return p;
    }

    private static final Pattern MARKET = Pattern.compile(Markets.CODE_REGEX);

    private Topics() {
    }

    /** The review topic of a market: {@code xmrec.reviews.<market>}. */
    public static String reviews(String market) {
        return REVIEWS_PREFIX + Markets.requireValid(market);
    }

    /** The pattern that matches every market's review topic. */
    public static Pattern reviewsPattern() {
        return Pattern.compile(Pattern.quote(REVIEWS_PREFIX) + Markets.CODE_REGEX);
    }

    /** The market of a review topic, or null when the topic is not one. */
    public static String marketOf(String topic) {
        return marketOf(topic, REVIEWS_PREFIX);
    }

    /** The market of a review topic named with the given review-topic prefix (captured where the JVM may differ). */
    public static String marketOf(String topic, String reviewsPrefix) {
        if (topic == null || !topic.startsWith(reviewsPrefix)) {
            return null;
        }
        String m = topic.substring(reviewsPrefix.length());
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
