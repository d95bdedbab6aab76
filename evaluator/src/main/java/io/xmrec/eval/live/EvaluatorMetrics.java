package io.xmrec.eval.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.serving.MetricsText;

import java.util.ArrayList;
import java.util.List;

/**
 * The evaluator's {@code /metrics}: a snapshot of its measurements (as {@code /api/metrics} gives it) in the
 * Prometheus text format, through {@link MetricsText}: model versions and recipes, nDCG@10 / HR@10 per market
 * and split, the reference's, the counters, and how far the models trail the stream.
 */
public final class EvaluatorMetrics {

    private EvaluatorMetrics() {
    }

    /** A stream whose newest review is older than this (wall clock) is a replay: stream time is event time. */
    static final long REPLAY_BEHIND_MS = 3_600_000L;

    /** The Prometheus text of a snapshot as {@code /api/metrics} gives it (public for checks of dashboards). */
    public static String prometheus(ObjectNode l) {
        JsonNode markets = l.path("markets");
        MetricsText m = new MetricsText();
        m.gauge("xmrec_model_version", "Newest model version per market.", perMarket(markets, n -> n.has("model_version")
                ? n.get("model_version").asDouble() : null));
        List<MetricsText.Point> recipes = new ArrayList<>();
        markets.fields().forEachRemaining(e -> {
            if (e.getValue().hasNonNull("recipe")) {
                recipes.add(MetricsText.Point.of(1, "market", e.getKey(), "recipe", e.getValue().get("recipe").asText()));
            }
        });
        m.gauge("xmrec_model_recipe", "1 for the recipe each market's newest model was made with (under auto, the one "
                + "chosen on the market's validation at the last trunk).", recipes);
        String[][] splits = {{"holdout-valid", "valid"}, {"holdout-test", "test"}, {"prequential", "prequential"},
                {"holdout-test-full", "test_full"}};
        String[][] refSplits = {{"reference-valid", "valid"}, {"reference-test", "test"}};
        String bySplit = " of the newest model per market and split (valid, test, prequential, test_full = full ranking).";
        for (LiveMetric metric : LiveMetric.values()) {
            m.gauge(metric.gauge(), metric.label + bySplit, bySplit(markets, splits, metric.field));
        }
        m.gauge("xmrec_eval_users", "users measured" + bySplit, bySplit(markets, splits, "users"));
        for (LiveMetric metric : LiveMetric.values()) {
            m.gauge(metric.referenceGauge(), metric.label + " of the single-market NMF reference per market and split.",
                    bySplit(markets, refSplits, metric.field));
        }
        m.counter("xmrec_events_total", "Review events accepted (holdout updates) per market.", counter(l, "events"));
        m.counter("xmrec_train_interactions_total", "Interactions promoted to training per market.", counter(l, "train"));
        m.counter("xmrec_deadletters_total", "Records dead-lettered per market (market ? = not attributable).",
                counter(l, "deadletters"));
        List<MetricsText.Point> updates = new ArrayList<>();
        List<MetricsText.Point> seconds = new ArrayList<>();
        forEachCounter(l, (market, name, value) -> {
            if (name.startsWith("updates-")) {
                updates.add(MetricsText.Point.of(value, "market", market, "kind", name.substring("updates-".length())));
            } else if (name.startsWith("seconds-")) {
                seconds.add(MetricsText.Point.of(value, "market", market, "kind", name.substring("seconds-".length())));
            }
        });
        m.counter("xmrec_updates_total", "Model-updater reports per market and kind (published, refused, trunk, "
                + "reference).", updates);
        m.counter("xmrec_training_seconds_total", "Seconds the model-updater spent per market and kind.", seconds);
        // the stream's clock: the wall clock when live; the newest event time seen when the stream is a replay
        double[] newest = {Double.NaN};
        markets.fields().forEachRemaining(e -> {
            JsonNode last = e.getValue().path("counters").path("last-event-ms");
            if (!last.isMissingNode() && !(last.asDouble() <= newest[0])) {
                newest[0] = last.asDouble();
            }
        });
        long now = l.get("now").asLong();
        boolean replay = !Double.isNaN(newest[0]) && now - newest[0] > REPLAY_BEHIND_MS;
        double clock = replay ? newest[0] : now;
        m.gauge("xmrec_stream_replaying", "1 when the newest review seen is more than an hour older than the wall clock "
                + "(a replay of history): stream time is then event time.", replay ? 1 : 0);
        m.gauge("xmrec_model_freshness_seconds", "How far the newest interaction in the model trails stream time: the wall "
                + "clock on a live stream, the newest event time seen (any market) on a replay.",
                perMarket(markets, n -> n.has("watermark") ? Math.max(0, clock - n.get("watermark").asLong()) / 1000.0 : null));
        m.gauge("xmrec_model_age_seconds", "Wall-clock seconds since the newest model version of the market was published.",
                perMarket(markets, n -> n.has("model_created_ms")
                        ? Math.max(0, now - n.get("model_created_ms").asLong()) / 1000.0 : null));
        m.gauge("xmrec_model_lag_event_seconds", "Event time of the newest review seen in the market minus that of the "
                + "newest interaction in its model (how far the model trails the stream, in event time).",
                perMarket(markets, n -> {
                    JsonNode last = n.path("counters").path("last-event-ms");
                    return n.has("watermark") && !last.isMissingNode()
                            ? Math.max(0, last.asDouble() - n.get("watermark").asLong()) / 1000.0 : null;
                }));
        return m.text();
    }

    /** A point per market where {@code value} gives one (null: none). */
    private static List<MetricsText.Point> perMarket(JsonNode markets, java.util.function.Function<JsonNode, Double> value) {
        List<MetricsText.Point> out = new ArrayList<>();
        markets.fields().forEachRemaining(e -> {
            Double v = value.apply(e.getValue());
            if (v != null) {
                out.add(MetricsText.Point.of(v, "market", e.getKey()));
            }
        });
        return out;
    }

    private interface CounterVisitor {
        void visit(String market, String name, double value);
    }

    /** Every counter of the markets and of the system part ({@code *}: trunks, {@code ?}: dead letters of no market). */
    private static void forEachCounter(ObjectNode l, CounterVisitor v) {
        l.path("markets").fields().forEachRemaining(e -> e.getValue().path("counters").fields()
                .forEachRemaining(c -> v.visit(e.getKey(), c.getKey(), c.getValue().asDouble())));
        l.path("system").fields().forEachRemaining(e -> e.getValue().path("counters").fields()
                .forEachRemaining(c -> v.visit(e.getKey(), c.getKey(), c.getValue().asDouble())));
    }

    private static List<MetricsText.Point> bySplit(JsonNode markets, String[][] splits, String field) {
        List<MetricsText.Point> out = new ArrayList<>();
        markets.fields().forEachRemaining(e -> {
            for (String[] split : splits) {
                if (e.getValue().has(split[0])) {
                    out.add(MetricsText.Point.of(e.getValue().get(split[0]).get(field).asDouble(), "market", e.getKey(),
                            "split", split[1]));
                }
            }
        });
        return out;
    }

    private static List<MetricsText.Point> counter(ObjectNode l, String counter) {
        List<MetricsText.Point> out = new ArrayList<>();
        forEachCounter(l, (market, n, value) -> {
            if (n.equals(counter)) {
                out.add(MetricsText.Point.of(value, "market", market));
            }
        });
        return out;
    }
}
