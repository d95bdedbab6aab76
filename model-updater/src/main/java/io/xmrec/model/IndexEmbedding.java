package io.xmrec.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Map;

/**
 * Configuration of an embedding lookup (index column in, one table row out) that behaves like
 * DL4J's {@link EmbeddingLayer} without bias and with identity activation, but reads the batch's
 * indices in one bulk copy instead of one {@code getInt} per row in every forward and backward
 * pass. At batch 1024 that per-row access was most of DL4J's time for these small networks.
 */
public class IndexEmbedding extends EmbeddingLayer {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation of saved models. */
    public IndexEmbedding() {
        setHasBias(false);
        setActivationFn(new ActivationIdentity());
    }

    /** A table of {@code rows} vectors of size {@code dim}, initialised normal(0, std). */
    public static IndexEmbedding of(long rows, long dim, double std) {
        IndexEmbedding e = new IndexEmbedding();
        e.setNIn(rows);
        e.setNOut(dim);
        e.setWeightInitFn(new WeightInitDistribution(new NormalDistribution(0, std)));
        return e;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray params, boolean initializeParams, DataType dataType) {
        if (!(getActivationFn() instanceof ActivationIdentity) || hasBias()) {
            throw new IllegalStateException("IndexEmbedding supports only identity activation without bias");
        }
        IndexEmbeddingLayer layer = new IndexEmbeddingLayer(conf, dataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(params);
        Map<String, INDArray> table = initializer().init(conf, params, initializeParams);
        layer.setParamTable(table);
        layer.setConf(conf);
        return layer;
    }
}
