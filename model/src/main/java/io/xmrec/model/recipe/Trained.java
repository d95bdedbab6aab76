package io.xmrec.model.recipe;

import io.xmrec.core.metrics.Scorer;
import io.xmrec.model.NcfModel;

/**
 * A trained method and what training it alone cost.
 *
 * @param scorer the scorer evaluated (the model itself for networks)
 * @param model  the network, or null for what is not one (popularity, DDTCDR)
 */
public record Trained(Scorer scorer, NcfModel model, double seconds, double samplesPerSecond, double metaStepsPerSecond) {

    public static Trained network(NcfModel model, double seconds, double samplesPerSecond, double metaStepsPerSecond) {
        return new Trained(model, model, seconds, samplesPerSecond, metaStepsPerSecond);
    }
}
