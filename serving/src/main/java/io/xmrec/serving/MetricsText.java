package io.xmrec.serving;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Metrics computed from a snapshot of counters (the evaluator's view of every market, the updater's
 * stats) as Prometheus snapshots, written by the Prometheus client's text writer: one way to expose
 * metrics in every role, no hand-written exposition format. Counters are named with their
 * {@code _total} suffix here, as scraped.
 */
public final class MetricsText {

    private final List<MetricSnapshot> metrics = new ArrayList<>();

    /** A gauge without labels. */
    public MetricsText gauge(String name, String help, double value) {
        return gauge(name, help, List.of(new Point(Labels.EMPTY, value)));
    }

    /** A gauge with one label: one point per entry of {@code values}. */
    public MetricsText gauge(String name, String help, String label, Map<String, ? extends Number> values) {
        return gauge(name, help, points(label, values));
    }

    /** A gauge with its points. */
    public MetricsText gauge(String name, String help, List<Point> points) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        points.forEach(p -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(p.labels()).value(p.value())
                .build()));
        metrics.add(b.build());
        return this;
    }

    /** A counter without labels ({@code name} ends in {@code _total}). */
    public MetricsText counter(String name, String help, double value) {
        return counter(name, help, List.of(new Point(Labels.EMPTY, value)));
    }

    /** A counter with its points ({@code name} ends in {@code _total}). */
    public MetricsText counter(String name, String help, List<Point> points) {
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("a counter's name ends in _total: " + name);
        }
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name.substring(0, name.length() - "_total".length()))
                .help(help);
        points.forEach(p -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(p.labels())
                .value(p.value()).build()));
        metrics.add(b.build());
        return this;
    }

    /** One point per entry, labelled {@code label=key}. */
    public static List<Point> points(String label, Map<String, ? extends Number> values) {
        List<Point> out = new ArrayList<>();
        values.forEach((k, v) -> out.add(new Point(Labels.of(label, k), v.doubleValue())));
        return out;
    }

    /** The Prometheus text format of every metric added. */
    public String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, new MetricSnapshots(metrics));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A labelled value. */
    public record Point(Labels labels, double value) {
        public static Point of(double value, String... labelNamesAndValues) {
            return new Point(Labels.of(labelNamesAndValues), value);
        }
    }
}
