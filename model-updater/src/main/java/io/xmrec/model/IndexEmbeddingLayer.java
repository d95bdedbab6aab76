package io.xmrec.model;

import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.feedforward.embedding.EmbeddingLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The runtime of {@link IndexEmbedding}: gather rows forward, scatter-add the error backward. */
final class IndexEmbeddingLayer extends EmbeddingLayer {

    private static final long serialVersionUID = 1L;

    /** The rows looked up by the last forward pass (reused by backprop: the input has not changed). */
    private int[] rows;

    IndexEmbeddingLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private int[] readRows() {
        if (input.rank() != 2 || input.size(1) != 1) {
            throw new DL4JInvalidInputException("embedding " + layerId() + " expects an index column [batch, 1], got "
                    + java.util.Arrays.toString(input.shape()));
        }
        float[] f = input.castTo(DataType.FLOAT).dup('c').data().asFloat();
        int[] r = new int[f.length];
        long n = layerConf().getNIn();
        for (int i = 0; i < f.length; i++) {
            r[i] = (int) f[i];
            if (r[i] < 0 || r[i] >= n || r[i] != f[i]) {
                throw new DL4JInvalidInputException("embedding " + layerId() + ": index " + f[i] + " at row " + i
                        + " is not a whole number in [0, " + n + ")");
            }
        }
        return r;
    }

    @Override
    protected INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        rows = readRows();
        INDArray w = getParamWithNoise(DefaultParamInitializer.WEIGHT_KEY, training, mgr);
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, w.dataType(), rows.length, w.size(1));
        if (rows.length > 0) {
            Nd4j.pullRows(w, out, 1, rows);
        }
        return out;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        return preOutput(training, mgr); // identity activation, no bias
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (rows == null || rows.length != epsilon.size(0)) {
            rows = readRows();
        }
        INDArray grad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
        // Scatter-add in Java: ND4J's native scatterUpdate took a third of a training step here.
        int dim = (int) grad.size(1);
        double[] d = epsilon.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] acc = new double[(int) grad.length()];
        for (int i = 0; i < rows.length; i++) {
            int base = rows[i] * dim;
            int from = i * dim;
            for (int k = 0; k < dim; k++) {
                acc[base + k] += d[from + k];
            }
        }
        grad.assign(Nd4j.create(acc, grad.shape(), 'c').castTo(grad.dataType()));
        Gradient g = new DefaultGradient();
        g.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, grad);
        return new Pair<>(g, null);
    }
}
