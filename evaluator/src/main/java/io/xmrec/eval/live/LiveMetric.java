package io.xmrec.eval.live;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.metrics.RankingMetrics;
import io.xmrec.schemas.EvaluationRecord;

import java.util.function.IntToDoubleFunction;

/**
 * The live ranking metrics, in one table. Each is the mean over the ranks measured of a function of the
 * held-out (or new) item's rank, and appears as: a {@code double} field of {@code EvaluationRecord} (the
 * {@code xmrec.metrics} topic) named {@link #field}; that key in {@code /api/metrics}, {@code /api/history}
 * and the server-sent events; a column of the dashboard and a line of its chart over time (the page is
 * given this table); two Prometheus gauges, the served model's and the single-market reference's, per
 * market and split. The first row is the headline metric the dashboard charts by model version.
 *
 * <p>A new metric is a row here and a field of the record schema. {@code LiveMetricTest} checks the two
 * agree; {@code DeploymentFilesTest} checks the Grafana dashboard charts every row.
 */
public enum LiveMetric {

    NDCG10("ndcg10", "nDCG@10", "ndcg_at_10", rank -> RankingMetrics.ndcg(rank, LiveEvaluator.K)),
    HR10("hr10", "HR@10", "hr_at_10", rank -> RankingMetrics.hitRate(rank, LiveEvaluator.K));

    /** The record field and JSON key. */
    public final String field;
    /** How people read it (dashboard, help texts). */
    public final String label;
    private final String suffix;
    private final IntToDoubleFunction ofRank;

    LiveMetric(String field, String label, String suffix, IntToDoubleFunction ofRank) {
        this.field = field;
        this.label = label;
        this.suffix = suffix;
        this.ofRank = ofRank;
    }

    /** The metric's value for one 1-based rank. */
    public double of(int rank) {
        return ofRank.applyAsDouble(rank);
    }

    /** The served model's gauge, by market and split. */
    public String gauge() {
        return "xmrec_eval_" + suffix;
    }

    /** The single-market reference's gauge, by market and split. */
    public String referenceGauge() {
        return "xmrec_reference_" + suffix;
    }

    /** Sums over ranks, one per metric in table order. */
    static double[] sums(int[] ranks) {
        double[] s = new double[values().length];
        for (int r : ranks) {
            for (LiveMetric m : values()) {
                s[m.ordinal()] += m.of(r);
            }
        }
        return s;
    }

    /** Sets every metric of a record to its mean over {@code n} ranks (0 for none) from sums in table order. */
    static void setMeans(EvaluationRecord e, double[] sums, int n) {
        for (LiveMetric m : values()) {
            e.put(m.field, n == 0 ? 0.0 : sums[m.ordinal()] / n);
        }
    }

    /** Every metric of a record, under its field name. */
    static ObjectNode putAll(ObjectNode out, EvaluationRecord e) {
        for (LiveMetric m : values()) {
            out.put(m.field, (Double) e.get(m.field));
        }
        return out;
    }

    /** The table as the dashboard reads it: field and label, headline first. */
    static ArrayNode describe() {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (LiveMetric m : values()) {
            out.addObject().put("field", m.field).put("label", m.label);
        }
        return out;
    }
}
