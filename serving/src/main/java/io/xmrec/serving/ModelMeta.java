package io.xmrec.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a served model comes from and what it has seen, as published with it: market, version and the
 * trunk version it descends from; whether it is a market's reference model; how far into each input
 * partition it trained ({@code trainedThrough}) and the newest event time in it; its validation figures;
 * when it was made and by what (the provenance, JSON); and where its deltas start. Built with
 * {@link #builder}: every field but the first three has a default (not a reference, nothing seen, no
 * validation, no provenance).
 */
public final class ModelMeta {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String market;
    private final long version;
    private final long trunkVersion;
    private final boolean reference;
    private final Map<String, Long> trainedThrough;
    private final Long watermarkMillis;
    private final Double validationNdcg10;
    private final Double validationHr10;
    private final long createdAtMillis;
    private final String provenance;
    private final Map<String, Long> deltaOffsets;

    private ModelMeta(Builder b) {
        market = b.market;
        version = b.version;
        trunkVersion = b.trunkVersion;
        reference = b.reference;
        trainedThrough = Collections.unmodifiableMap(new LinkedHashMap<>(b.trainedThrough));
        watermarkMillis = b.watermarkMillis;
        validationNdcg10 = b.validationNdcg10;
        validationHr10 = b.validationHr10;
        createdAtMillis = b.createdAtMillis;
        provenance = b.provenance;
        deltaOffsets = Collections.unmodifiableMap(new LinkedHashMap<>(b.deltaOffsets));
    }

    /** The metadata of version {@code version} of a market's model, descending from trunk {@code trunkVersion}. */
    public static Builder builder(String market, long version, long trunkVersion) {
        return new Builder(market, version, trunkVersion);
    }

    /** A builder holding everything of this one. */
    public Builder toBuilder() {
        return builder(market, version, trunkVersion).reference(reference).trainedThrough(trainedThrough)
                .watermarkMillis(watermarkMillis).validation(validationNdcg10, validationHr10).createdAtMillis(createdAtMillis)
                .provenance(provenance).deltaOffsets(deltaOffsets);
    }

    /** The same with another version (and the trunk version, data and score of an update). */
    public ModelMeta next(long v, long trunk, Map<String, Long> through, Long watermark, Double ndcg, long created) {
        Builder b = toBuilder();
        b.version = v;
        b.trunkVersion = trunk;
        return b.trainedThrough(through.isEmpty() ? trainedThrough : through)
                .watermarkMillis(watermark != null ? watermark : watermarkMillis)
                .validation(ndcg != null ? ndcg : validationNdcg10, ndcg != null ? null : validationHr10)
                .createdAtMillis(created).build();
    }

    public String market() {
        return market;
    }

    public long version() {
        return version;
    }

    public long trunkVersion() {
        return trunkVersion;
    }

    public boolean reference() {
        return reference;
    }

    public Map<String, Long> trainedThrough() {
        return trainedThrough;
    }

    public Long watermarkMillis() {
        return watermarkMillis;
    }

    public Double validationNdcg10() {
        return validationNdcg10;
    }

    public Double validationHr10() {
        return validationHr10;
    }

    public long createdAtMillis() {
        return createdAtMillis;
    }

    public String provenance() {
        return provenance;
    }

    public Map<String, Long> deltaOffsets() {
        return deltaOffsets;
    }

    /**
     * The provenance as JSON: the recipe the model was made with ({@code recipe}) and, when it was
     * chosen for its market, the choice ({@code choice}); an empty object when it is none or not JSON.
     */
    public JsonNode provenanceJson() {
        try {
            return provenance == null || provenance.isBlank() ? JSON.createObjectNode() : JSON.readTree(provenance);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }

    /** The recipe named in the provenance, or {@code ?} when it names none. */
    public String recipe() {
        return provenanceJson().path("recipe").asText("?");
    }

    /** Equal when every field is: a model read back from its record has the metadata it was published with. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelMeta m && version == m.version && trunkVersion == m.trunkVersion
                && reference == m.reference && createdAtMillis == m.createdAtMillis && market.equals(m.market)
                && trainedThrough.equals(m.trainedThrough) && Objects.equals(watermarkMillis, m.watermarkMillis)
                && Objects.equals(validationNdcg10, m.validationNdcg10) && Objects.equals(validationHr10, m.validationHr10)
                && Objects.equals(provenance, m.provenance) && deltaOffsets.equals(m.deltaOffsets);
    }

    @Override
    public int hashCode() {
        return Objects.hash(market, version, trunkVersion, reference, trainedThrough, watermarkMillis, validationNdcg10,
                validationHr10, createdAtMillis, provenance, deltaOffsets);
    }

    @Override
    public String toString() {
        return "ModelMeta[market=" + market + ", version=" + version + ", trunkVersion=" + trunkVersion + ", reference="
                + reference + ", trainedThrough=" + trainedThrough + ", watermarkMillis=" + watermarkMillis
                + ", validationNdcg10=" + validationNdcg10 + ", validationHr10=" + validationHr10 + ", createdAtMillis="
                + createdAtMillis + ", provenance=" + provenance + ", deltaOffsets=" + deltaOffsets + "]";
    }

    /** Builds a {@link ModelMeta}; each setter returns the builder. */
    public static final class Builder {
        private final String market;
        private long version;
        private long trunkVersion;
        private boolean reference;
        private Map<String, Long> trainedThrough = Map.of();
        private Long watermarkMillis;
        private Double validationNdcg10;
        private Double validationHr10;
        private long createdAtMillis;
        private String provenance;
        private Map<String, Long> deltaOffsets = Map.of();

        private Builder(String market, long version, long trunkVersion) {
            this.market = market;
            this.version = version;
            this.trunkVersion = trunkVersion;
        }

        /** A market's reference model (single-market NMF, for the dashboard), not the one served. */
        public Builder reference(boolean r) {
            reference = r;
            return this;
        }

        /** Per input partition ({@code topic-n}), the offset the model trained up to (exclusive). */
        public Builder trainedThrough(Map<String, Long> through) {
            trainedThrough = through;
            return this;
        }

        /** The event time of the newest interaction in the model (null: unknown). */
        public Builder watermarkMillis(Long millis) {
            watermarkMillis = millis;
            return this;
        }

        /** Validation nDCG@10 and HR@10 (each null when not measured). */
        public Builder validation(Double ndcg10, Double hr10) {
            validationNdcg10 = ndcg10;
            validationHr10 = hr10;
            return this;
        }

        public Builder createdAtMillis(long millis) {
            createdAtMillis = millis;
            return this;
        }

        /** What made the model, JSON (null: nothing said). */
        public Builder provenance(String json) {
            provenance = json;
            return this;
        }

        /** Per partition of the deltas topic, where this version's deltas start. */
        public Builder deltaOffsets(Map<String, Long> offsets) {
            deltaOffsets = offsets;
            return this;
        }

        public ModelMeta build() {
            return new ModelMeta(this);
        }
    }
}
