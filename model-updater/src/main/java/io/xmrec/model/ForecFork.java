package io.xmrec.model;

import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

/**
 * FOREC's fork: from a trained NMF trunk, freeze the user and item embeddings of both branches,
 * the GMF branch and the MLP layers below the last three (DL4J {@code FrozenLayer}s, which really
 * do not change), insert a market head of dense ReLU layers (16-32-16 by default) between the
 * fused NMF layer and the output, and leave the last three MLP layers, the head and the output to
 * be fine-tuned on the target market (Adam lr 0.01, L2 1e-3 by default). The output starts from
 * the trunk's output weights (same shape: the head's last width equals the fused width).
 *
 * <p>Trunk and head are kept apart: {@link #headLayers} names everything a market owns; every
 * other parameter is the shared trunk's and never changes after the fork.
 */
public final class ForecFork {

    /** How many of the top MLP layers stay trainable in the fork. */
    public static final int TRAINABLE_MLP_LAYERS = 3;

    private ForecFork() {
    }

    /**
     * Settings of the fork and its fine-tuning.
     *
     * @param headWidths hidden widths of the market head (the paper's 16-32-16 head is [32]: 16 in, 32, 16 out)
     */
    public record Options(List<Integer> headWidths, double learningRate, double l2, int batchSize, int epochs) {
        public Options {
            headWidths = List.copyOf(headWidths);
            if (!(learningRate > 0) || l2 < 0 || batchSize < 1 || epochs < 0) {
                throw new IllegalArgumentException("FOREC options out of range: " + this);
            }
        }

        public static Options defaults() {
            return new Options(List.of(32), 0.01, 1e-3, 1024, 25);
        }

        public Options withBatchSize(int b) {
            return new Options(headWidths, learningRate, l2, b, epochs);
        }

        public Options withEpochs(int e) {
            return new Options(headWidths, learningRate, l2, batchSize, e);
        }
    }

    /** Name of the i-th head layer, 1-based. */
    public static String headLayer(int i) {
        return "head_" + i;
    }

    /** The layers a market owns after the fork: the top MLP layers, the head and the output. */
    public static List<String> headLayers(NcfOptions trunk, Options o) {
        List<String> out = new ArrayList<>();
        int mlp = trunk.mlpLayers().size() - 1;
        for (int i = Math.max(1, mlp - TRAINABLE_MLP_LAYERS + 1); i <= mlp; i++) {
            out.add(NcfNetworks.mlpLayer(i));
        }
        for (int i = 1; i <= o.headWidths().size() + 1; i++) {
            out.add(headLayer(i));
        }
        out.add(NcfNetworks.OUT);
        return out;
    }

    /**
     * Copies the market-owned layers ({@link #headLayers}) of one fork into another fork of a trunk
     * of the same shape, e.g. a market's previous head, or another market's head as a starting
     * point; false (and possibly partly copied) if any layer does not fit.
     */
    public static boolean copyHead(NcfModel from, NcfModel to, Options o) {
        for (String layer : headLayers(to.options(), o)) {
            if (!ParameterTransfer.copyIfSameShape(from, to, layer)) {
                return false;
            }
        }
        return true;
    }

    /** Forks a trained NMF trunk into a FOREC model for one market. */
    public static NcfModel fork(NcfModel trunk, Options o, long seed) {
        if (trunk.architecture() != NcfArchitecture.NMF) {
            throw new IllegalArgumentException("FOREC forks an NMF trunk, got " + trunk.architecture().label());
        }
        NcfOptions t = trunk.options();
        int mlp = t.mlpLayers().size() - 1;
        int lastFrozenMlp = mlp - TRAINABLE_MLP_LAYERS;
        List<String> frozen = new ArrayList<>(List.of(NcfNetworks.GMF_USER, NcfNetworks.GMF_ITEM,
                NcfNetworks.MLP_USER, NcfNetworks.MLP_ITEM));
        if (lastFrozenMlp >= 1) {
            frozen.add(NcfNetworks.mlpLayer(lastFrozenMlp));
        }
        int fused = NcfNetworks.lastMlpWidth(t) + t.gmfDim();
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(trunk.graph().clone())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder()
                        .updater(new Adam(o.learningRate())).l2(o.l2()).seed(seed).build())
                .setFeatureExtractor(frozen.toArray(new String[0]))
                .removeVertexAndConnections(NcfNetworks.OUT);
        String prev = NcfNetworks.FUSE;
        int width = fused;
        List<Integer> widths = new ArrayList<>(o.headWidths());
        widths.add(fused); // the head ends at the fused width so the trunk's output weights fit
        for (int i = 0; i < widths.size(); i++) {
            String name = headLayer(i + 1);
            b.addLayer(name, new DenseLayer.Builder().nIn(width).nOut(widths.get(i)).activation(Activation.RELU).build(), prev);
            prev = name;
            width = widths.get(i);
        }
        b.addLayer(NcfNetworks.OUT, new OutputLayer.Builder(LossFunctions.LossFunction.XENT)
                .nIn(width).nOut(1).activation(Activation.SIGMOID).build(), prev);
        b.setOutputs(NcfNetworks.OUT);
        ComputationGraph g = b.build();
        g.getLayer(NcfNetworks.OUT).setParam("W", trunk.graph().getLayer(NcfNetworks.OUT).getParam("W"));
        g.getLayer(NcfNetworks.OUT).setParam("b", trunk.graph().getLayer(NcfNetworks.OUT).getParam("b"));
        return new NcfModel(NcfArchitecture.FOREC, g, trunk.users(), trunk.items(), t, trunk.markets());
    }
}
