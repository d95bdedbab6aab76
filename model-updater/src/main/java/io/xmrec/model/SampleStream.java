package io.xmrec.model;

import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.core.sampling.TrainingSamples;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An endless stream of one market's training samples in batches: an epoch of shuffled positives
 * and fresh negatives, then the next epoch with new negatives when it runs out.
 */
final class SampleStream {

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
    MultiDataSet next(int b) {
        if (samples.size() == 0) {
            return null;
        }
        if (pos >= samples.size()) {
            samples = TrainingSamples.draw(market, negatives, rnd);
            pos = 0;
        }
        int to = Math.min(samples.size(), pos + b);
        INDArray u = NcfModel.column(samples.users(), pos, to);
        INDArray i = NcfModel.column(samples.items(), pos, to);
        float[] l = Arrays.copyOfRange(samples.labels(), pos, to);
        INDArray y = Nd4j.create(l, new long[] {l.length, 1}, DataType.FLOAT);
        pos = to;
        return new MultiDataSet(new INDArray[] {u, i}, new INDArray[] {y});
    }

    /** The next {@code b} samples as primitive arrays, wrapping into a new pass when needed; null without samples. */
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
