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

    /** The next batch of exactly {@code b} samples, wrapping into a new pass when needed. */
    MultiDataSet nextFull(int b) {
        MultiDataSet first = next(b);
        if (first == null || first.getFeatures(0).rows() == b) {
            return first;
        }
        MultiDataSet rest = nextFull(b - (int) first.getFeatures(0).rows());
        return new MultiDataSet(
                new INDArray[] {Nd4j.vstack(first.getFeatures(0), rest.getFeatures(0)),
                    Nd4j.vstack(first.getFeatures(1), rest.getFeatures(1))},
                new INDArray[] {Nd4j.vstack(first.getLabels(0), rest.getLabels(0))});
    }
}
