package io.xmrec.model;

import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * FOREC's fork: from a trained NMF trunk, freeze the user and item embeddings of both branches,
 * the GMF branch and the MLP layers below the last three, insert a market head of dense ReLU layers
 * (16-32-16 by default) between the fused NMF layer and the output, and leave the last three MLP
 * layers, the head, the output (and the item biases, when the trunk has them: a market's own
 * popularity) to be fine-tuned on the target market (Adam lr 0.01, L2 1e-3 by default). The output
 * starts from the trunk's output weights (same shape: the head's last width equals the fused width).
 *
 * <p>Trunk and head are kept apart: {@link #headTensors} names everything a market owns; every
 * other tensor is the shared trunk's and never changes after the fork.
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
     * @param trainUsers whether fine-tuning also trains the user embeddings (users belong to one market, so
     *                   their rows are the market's own; the paper freezes them with the trunk)
     */
    public record Options(List<Integer> headWidths, double learningRate, double l2, int batchSize, int epochs,
                          boolean trainUsers) {
        public Options(List<Integer> headWidths, double learningRate, double l2, int batchSize, int epochs) {
            this(headWidths, learningRate, l2, batchSize, epochs, false);
        }

        public Options {
            headWidths = List.copyOf(headWidths);
            if (!(learningRate > 0) || l2 < 0 || batchSize < 1 || epochs < 0 || headWidths.isEmpty()) {
                throw new IllegalArgumentException("FOREC options out of range: " + this);
            }
        }

        public static Options defaults() {
            return new Options(List.of(64), 0.01, 1e-3, 1024, 25);
        }

        public Options withBatchSize(int b) {
            return new Options(headWidths, learningRate, l2, b, epochs, trainUsers);
        }

        public Options withEpochs(int e) {
            return new Options(headWidths, learningRate, l2, batchSize, e, trainUsers);
        }

        public Options withTrainUsers(boolean t) {
            return new Options(headWidths, learningRate, l2, batchSize, epochs, t);
        }
    }

    /** The shape of a fork of a trunk of this shape. */
    public static NetShape shape(NetShape trunk, Options o) {
        return trunk.withHead(o.headWidths());
    }

    /** The tensors a market owns after the fork: the top MLP layers, the head, the output and the item biases. */
    public static List<String> headTensors(NetShape fork) {
        List<String> out = new ArrayList<>();
        int mlp = fork.mlpDepth();
        for (int i = Math.max(1, mlp - TRAINABLE_MLP_LAYERS + 1); i <= mlp; i++) {
            out.add(NetShape.mlpWeight(i));
            out.add(NetShape.mlpBias(i));
        }
        for (int i = 1; i <= fork.headDepth(); i++) {
            out.add(NetShape.headWeight(i));
            out.add(NetShape.headBias(i));
        }
        out.add(NetShape.OUT_W);
        out.add(NetShape.OUT_B);
        if (fork.itemBias()) {
            out.add(NetShape.ITEM_BIAS);
        }
        return out;
    }

    /**
     * Copies the market-owned tensors ({@link #headTensors}) of one fork into another fork of a
     * trunk of the same shape, e.g. a market's previous head, or another market's head as a starting
     * point; false (and nothing copied) if any does not fit.
     */
    public static boolean copyHead(NcfModel from, NcfModel to, Options o) {
        List<String> names = headTensors(to.net().shape());
        for (String n : names) {
            float[] s = from.net().get(n);
            float[] d = to.net().get(n);
            if (s == null || d == null || s.length != d.length) {
                return false;
            }
        }
        for (String n : names) {
            ParameterTransfer.copyIfSameShape(from, to, n);
        }
        return true;
    }

    /** Forks a trained NMF trunk into a FOREC model for one market. */
    public static NcfModel fork(NcfModel trunk, Options o, long seed) {
        return fork(trunk, o, seed, trunk.net().shape().itemBias());
    }

    /**
     * Forks a trained NMF trunk into a FOREC model for one market, with an item bias of the market's own
     * (zeros to start, fine-tuned with the head) when {@code itemBias}, whether or not the trunk has one.
     */
    public static NcfModel fork(NcfModel trunk, Options o, long seed, boolean itemBias) {
        if (trunk.architecture() != NcfArchitecture.NMF) {
            throw new IllegalArgumentException("FOREC forks an NMF trunk, got " + trunk.architecture().label());
        }
        NetShape shape = shape(trunk.net().shape(), o).withItemBias(itemBias);
        Net fresh = Net.init(shape, trunk.users().size(), trunk.items().size(), trunk.options().embeddingStd(), seed);
        Net t = trunk.net();
        for (Map.Entry<String, float[]> e : t.asMap().entrySet()) {
            float[] to = fresh.get(e.getKey());
            if (to != null) { // a trunk's item bias is left out of a fork without one
                System.arraycopy(e.getValue(), 0, to, 0, e.getValue().length);
            }
        }
        // the head layers keep their fresh Xavier initialisation, everything else is the trunk's
        LinkedHashSet<String> trainable = new LinkedHashSet<>(headTensors(shape));
        if (o.trainUsers()) {
            trainable.add(NetShape.GMF_USER);
            trainable.add(NetShape.MLP_USER);
        }
        return new NcfModel(NcfArchitecture.FOREC, fresh, trunk.users(), trunk.items(), trunk.options(), trunk.markets(),
                new NcfModel.Training(trainable, o.learningRate(), o.l2()));
    }
}
