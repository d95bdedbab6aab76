package io.xmrec.experiments;

import io.xmrec.core.holdout.Split;
import io.xmrec.core.metrics.RankSummary;

/**
 * The evaluation of one method on one market and split.
 *
 * @param sampled          metrics against the fixed sampled negatives
 * @param full             metrics against the full item pool, or null when not computed
 * @param ndcgCi95         95% confidence half-width of the sampled nDCG@k mean over users
 * @param trainSeconds     training time of this method's own model (0 for the baseline)
 * @param pipelineSeconds  training time including the models it was initialised from
 * @param samplesPerSecond training samples per second of its own training (fine-tuning for FOREC)
 * @param metaStepsPerSecond MAML meta-steps per second (0 for methods without a MAML stage of their own)
 */
public record MethodResult(String market, String method, Split split, RankSummary sampled, RankSummary full,
                           double ndcgCi95, double trainSeconds, double pipelineSeconds, double samplesPerSecond,
                           double metaStepsPerSecond) {
}
