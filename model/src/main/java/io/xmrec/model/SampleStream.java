package io.xmrec.model;

import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.sampling.TrainingSamples;

import java.util.SplittableRandom;

/**
 * An endless stream of one market's training samples in batches: an epoch of shuffled positives
 * and fresh negatives, then the next epoch with new negatives when it runs out.
 */
final class SampleStream {

    /** A batch: {@code count} samples from {@code from} in the arrays (views of an epoch's samples, not copies). */
    record Batch(int[] users, int[] items, float[] labels, int from, int count) {
    }

    private final IndexedMarket market;
    private final int negatives;
    private final SplittableRandom rnd;
    private TrainingSamples samples;
    private int pos;

    SampleStream(IndexedMarket market, int negatives, SplittableRandom rnd) {
        this.market = market;
        this.negatives = negatives;
        this.rnd = rnd;
        this.samples = TrainingSamples.draw(market, negatives, rnd);
    }

    /** Samples in one pass over the market (positives times 1 + negatives). */
    int epochSize() {
        return samples.size();
    }

    /** The next batch of up to {@code b} samples (shorter at the end of a pass), or null for a market without samples. */
    Batch next(int b) {
        if (samples.size() == 0) {
            return null;
        }
        if (pos >= samples.size()) {
            samples = TrainingSamples.draw(market, negatives, rnd);
            pos = 0;
        }
        int to = Math.min(samples.size(), pos + b);
        Batch out = new Batch(samples.users(), samples.items(), samples.labels(), pos, to - pos);
        pos = to;
        return out;
    }

    /** The next {@code b} samples as their own arrays, wrapping into a new pass when needed; null without samples. */
    NmfKernel.Batch nextBatch(int b) {
        if (samples.size() == 0) {
            return null;
        }
        int[] u = new int[b];
        int[] i = new int[b];
        float[] y = new float[b];
        for (int k = 0; k < b; k++) {
            if (pos >= samples.size()) {
                samples = TrainingSamples.draw(market, negatives, rnd);
                pos = 0;
            }
            u[k] = samples.users()[pos];
            i[k] = samples.items()[pos];
            y[k] = samples.labels()[pos];
            pos++;
        }
        return new NmfKernel.Batch(u, i, y);
    }
}
