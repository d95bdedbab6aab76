package io.xmrec.serving;

import java.util.Map;

/** Where the newest model of each market comes from: the topic client, or a map in a test. */
public interface ModelSource {

    /** The newest model of a market, or null when there is none (yet). */
    ServedModel model(String market);

    /** The newest single-market NMF reference of a market (kept for comparison, never served), or null. */
    default ServedModel reference(String market) {
        return null;
    }

    /** Markets with a model, and their versions. */
    Map<String, Long> versions();

    /** The models of a map, read as it is at each call (a test's or a benchmark's; a concurrent map may change). */
    static ModelSource of(Map<String, ServedModel> models) {
        return new ModelSource() {
            @Override
            public ServedModel model(String market) {
                return models.get(market);
            }

            @Override
            public Map<String, Long> versions() {
                Map<String, Long> v = new java.util.TreeMap<>();
                models.forEach((k, m) -> v.put(k, m.version()));
                return v;
            }
        };
    }
}
