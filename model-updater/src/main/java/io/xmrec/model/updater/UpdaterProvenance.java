package io.xmrec.model.updater;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.sampling.TrainingNegatives;
import io.xmrec.model.recipe.Choice;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The provenance the updater publishes with its models (JSON in the model record): one base per updater
 * ({@link #of}: recipe, settings, seed, negatives policy, the fast and medium paths' settings, code version),
 * then per model the trunk version, the recipe the market is served by, the choice that picked it, and
 * whether it is the market's own model (a first model, or one the medium path retrained). Built here only.
 */
final class UpdaterProvenance {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the provenance of a first model says it is. */
    static final String FIRST_MODEL = "the market's own NMF, trained before any trunk had a model for it";
    /** What the provenance of a market's own model that replaced a trunk's says it is. */
    static final String OWN_MODEL = "the market's own NMF, retrained on the medium path after its data grew, served "
            + "because it validated above the trunk's model until the next trunk";

    /** The provenance keys that mark a market's own model: a first model, or a retrained one. */
    enum Own {
        FIRST("first_model", FIRST_MODEL), RETRAINED("own_model", OWN_MODEL);

        final String key;
        final String text;

        Own(String key, String text) {
            this.key = key;
            this.text = text;
        }

        /** The mark in a model's provenance, or null for a trunk's model. */
        static Own of(JsonNode provenance) {
            for (Own o : values()) {
                if (provenance.hasNonNull(o.key)) {
                    return o;
                }
            }
            return null;
        }
    }

    private UpdaterProvenance() {
    }

    /** The provenance of this updater's models (the trunk version is filled in per model). */
    static String of(UpdaterSettings s, String codeVersion) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("recipe", s.trunkMethod());
        p.put("trunk_version", 0);
        p.put("settings", s.training().describe());
        p.put("seed", s.seed());
        p.put("training_negatives", TrainingNegatives.POLICY);
        p.put("fast_path", Map.of("row_fit_steps", s.rowFit().steps(), "row_fit_lr", s.rowFit().learningRate()));
        p.put("medium_path", Map.of("sample", s.headSample(), "epochs", s.headEpochs(), "rollback_margin", s.rollbackMargin()));
        p.put("validation_users", s.validationUsers());
        p.put("code_version", codeVersion);
        p.put("created_by", "xmrec updater");
        try {
            return JSON.writeValueAsString(p);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A market's model: the base with its trunk version, recipe, the choice (or none) and the own-model mark (or none). */
    static String ofMarket(String base, long trunkVersion, String recipe, JsonNode choice, Own own) {
        return edited(base, p -> {
            p.put("trunk_version", trunkVersion);
            p.put("recipe", recipe);
            if (choice != null) {
                p.set("choice", choice);
            }
            if (own != null) {
                p.put(own.key, own.text);
            }
        });
    }

    /** A market's own model (a first model, or a retrained one): the base naming the baseline recipe and why. */
    static String asOwnModel(String base, Own own) {
        return edited(base, p -> {
            p.put("recipe", Choice.BASELINE);
            p.put(own.key, own.text);
        });
    }

    /** A trunk's model of a market: the base with the recipe chosen for it and why. */
    static String withChoice(String base, Choice c) {
        return c == null ? base : edited(base, p -> {
            p.put("recipe", c.method());
            p.set("choice", JSON.valueToTree(c.describe()));
        });
    }

    /** A provenance (JSON) with some fields set. */
    private static String edited(String provenance, Consumer<ObjectNode> edit) {
        try {
            ObjectNode p = (ObjectNode) JSON.readTree(provenance);
            edit.accept(p);
            return JSON.writeValueAsString(p);
        } catch (java.io.IOException | ClassCastException e) {
            throw new IllegalStateException("the updater's provenance is not a JSON object: " + provenance, e);
        }
    }
}
