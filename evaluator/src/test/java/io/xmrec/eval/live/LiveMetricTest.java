package io.xmrec.eval.live;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.schemas.EvaluationRecord;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The metric table and the record schema agree, and everything that shows a metric takes it from the table. */
class LiveMetricTest {

    /** The record's fields that are not a metric. */
    static final Set<String> NOT_METRICS = Set.of("market", "modelVersion", "kind", "users", "time");

    @Test
    void everyMetricIsADoubleFieldOfTheRecordAndEveryOtherFieldIsKnown() {
        Set<String> fields = new TreeSet<>();
        for (Schema.Field f : EvaluationRecord.getClassSchema().getFields()) {
            if (!NOT_METRICS.contains(f.name())) {
                fields.add(f.name());
                assertEquals(Schema.Type.DOUBLE, f.schema().getType(), f.name() + " is a metric: a double");
            }
        }
        Set<String> table = new TreeSet<>();
        for (LiveMetric m : LiveMetric.values()) {
            table.add(m.field);
        }
        assertEquals(table, fields, "EvaluationRecord.avsc's metric fields vs LiveMetric");
    }

    @Test
    void aRecordCarriesEveryMetricsMeanAndTheJsonAndMetricsTextShowIt() {
        int[] ranks = {1, 3, 20};
        double[] sums = LiveMetric.sums(ranks);
        EvaluationRecord e = new EvaluationRecord();
        e.setMarket("xx");
        e.setModelVersion(4L);
        e.setKind("holdout-test");
        e.setUsers(ranks.length);
        e.setTime(Instant.ofEpochMilli(1));
        LiveMetric.setMeans(e, sums, ranks.length);
        ObjectNode json = LiveMetric.putAll(JsonNodeFactory.instance.objectNode(), e);
        for (LiveMetric m : LiveMetric.values()) {
            double want = (m.of(1) + m.of(3) + m.of(20)) / 3;
            assertEquals(want, (Double) e.get(m.field), 1e-12, m.field);
            assertEquals(want, json.get(m.field).asDouble(), 1e-12, m.field);
        }
        assertEquals(1.0, LiveMetric.NDCG10.of(1), 1e-12);
        assertEquals(0.0, LiveMetric.HR10.of(11), 1e-12, "outside the top 10");

        ObjectNode snapshot = JsonNodeFactory.instance.objectNode().put("now", 2L);
        ObjectNode market = snapshot.putObject("markets").putObject("xx");
        market.set("holdout-test", json.put("users", ranks.length));
        market.set("reference-test", json.deepCopy());
        String text = EvaluatorMetrics.prometheus(snapshot);
        for (LiveMetric m : LiveMetric.values()) {
            assertTrue(text.contains(m.gauge() + "{market=\"xx\",split=\"test\"}"), m.gauge() + " in\n" + text);
            assertTrue(text.contains(m.referenceGauge() + "{market=\"xx\",split=\"test\"}"), m.referenceGauge());
        }
    }

    @Test
    void theDashboardPageIsGivenTheTable() throws Exception {
        String page = new String(EvaluatorService.dashboard(), StandardCharsets.UTF_8);
        assertFalse(page.contains(EvaluatorService.METRICS_PLACEHOLDER));
        assertTrue(page.contains("const METRICS = " + LiveMetric.describe() + ";"), "the table in the page");
        for (LiveMetric m : LiveMetric.values()) {
            assertTrue(page.contains("\"label\":\"" + m.label + "\""), m.label);
        }
        String raw;
        try (var in = EvaluatorService.class.getResourceAsStream("/io/xmrec/eval/live/dashboard.html")) {
            raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (LiveMetric m : LiveMetric.values()) {
            if (m != LiveMetric.values()[0]) {
                assertFalse(raw.contains(m.field) || raw.contains(m.label), "the page itself names " + m.field
                        + ": its columns and lines come from the table");
            }
        }
    }
}
