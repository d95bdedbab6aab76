package io.xmrec.experiments;

import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.RankSummary;

/**
 * The evaluation of one method on one market and split.
 *
 * @param sampled  metrics against the fixed sampled negatives
 * @param full     metrics against the full item pool, or null when not computed
 * @param ndcgCi95 95% confidence half-width of the sampled nDCG@k mean over users
 * @param cost     what training the method took
 */
public record MethodResult(String market, String method, Split split, RankSummary sampled, RankSummary full,
                           double ndcgCi95, Cost cost) {

    /**
     * What training a method took.
     *
     * @param trainSeconds       training time of this method's own model (0 for the baseline)
     * @param pipelineSeconds    training time including the models it was initialised from
     * @param samplesPerSecond   training samples per second of its own training (fine-tuning for FOREC)
     * @param metaStepsPerSecond MAML meta-steps per second (0 for methods without a MAML stage of their own)
     */
    public record Cost(double trainSeconds, double pipelineSeconds, double samplesPerSecond, double metaStepsPerSecond) {

        public Cost withPipelineSeconds(double seconds) {
            return new Cost(trainSeconds, seconds, samplesPerSecond, metaStepsPerSecond);
        }
    }

    public double trainSeconds() {
        return cost.trainSeconds();
    }

    public double pipelineSeconds() {
        return cost.pipelineSeconds();
    }

    public double samplesPerSecond() {
        return cost.samplesPerSecond();
    }

    public double metaStepsPerSecond() {
        return cost.metaStepsPerSecond();
    }

    /** The same result under another method's name, its pipeline cost {@code pipelineSeconds}. */
    public MethodResult as(String name, double pipelineSeconds) {
        return new MethodResult(market, name, split, sampled, full, ndcgCi95, cost.withPipelineSeconds(pipelineSeconds));
    }
}
