package io.xmrec.serving;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.serving.http.JsonHttp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The serving role ({@code xmrec serve}): follows the published models ({@link ModelClient}) and
 * what users reviewed ({@link SeenItems}) and answers the shop's endpoints
 * ({@link RecommendationServer}), with {@code /metrics} for Prometheus. No evaluator, no training:
 * any number of replicas run side by side behind a load balancer, each reading the model topics
 * on its own.
 */
public final class ServeRole implements AutoCloseable {

    private final ModelClient models;
    private final SeenItems seen;
    private final RecommendationServer http;
    private final PrometheusRegistry registry = new PrometheusRegistry();

    public ServeRole(String bootstrap, Map<String, Object> clientProps, AvroSerde serde, String host, int port) {
        this.models = new ModelClient(bootstrap, clientProps, serde);
        this.seen = new SeenItems(bootstrap, clientProps, serde);
        this.http = new RecommendationServer(models, seen, models::caughtUp, host, port);
        GaugeWithCallback.builder().name("xmrec_model_version").help("Newest model version served per market.")
                .labelNames("market").callback(cb -> models.versions().forEach((m, v) -> cb.call(v, m)))
                .register(registry);
        GaugeWithCallback.builder().name("xmrec_model_age_seconds")
                .help("Wall-clock seconds since the served model of the market was made.").labelNames("market")
                .callback(cb -> models.versions().keySet().forEach(m -> {
                    ServedModel s = models.model(m);
                    if (s != null) {
                        cb.call((System.currentTimeMillis() - s.meta().createdAtMillis()) / 1000.0, m);
                    }
                })).register(registry);
        GaugeWithCallback.builder().name("xmrec_serve_models_caught_up")
                .help("1 once the model topics have been read to their end, else 0.")
                .callback(cb -> cb.call(models.caughtUp() ? 1 : 0)).register(registry);
        CounterWithCallback.builder().name("xmrec_serve_model_records")
                .help("Model records taken (snapshot, delta) and skipped as unreadable or not applicable (logged with "
                        + "topic, partition and offset).").labelNames("kind")
                .callback(cb -> {
                    long[] c = models.counts();
                    cb.call(c[0], "snapshot");
                    cb.call(c[1], "delta");
                    cb.call(c[2], "skipped");
                }).register(registry);
        http.route("/metrics", ex -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                PrometheusTextFormatWriter.create().write(out, registry.scrape());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            JsonHttp.sendText(ex, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toString(StandardCharsets.UTF_8));
        });
    }

    /** Where the endpoints answer ({@code http://host:port}). */
    public String url() {
        return http.url();
    }

    /** The models this replica serves. */
    public ModelClient models() {
        return models;
    }

    @Override
    public void close() {
        http.close();
        seen.close();
        models.close();
    }
}
