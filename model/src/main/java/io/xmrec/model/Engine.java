package io.xmrec.model;

import java.util.Locale;

/**
 * What takes the training steps of a network ({@link NcfTrainer}): the same samples, the same
 * initial parameters and the same Adam (with L2 before the moments, as DL4J's L2) in both.
 * <ul>
 *   <li>{@code kernel}: the plain-Java kernel ({@link io.xmrec.core.net.NetKernel}), one thread, sparse
 *       table updates when the tables are large ({@link TableUpdates});</li>
 *   <li>{@code dl4j}: a DeepLearning4J computation graph of the same shape in float precision on ND4J's
 *       native (BLAS-backed) backend, its own Adam updater; the tables are always updated densely.</li>
 * </ul>
 * Either way the trained model is the {@link io.xmrec.core.net.NetShape} tensors: serving does not
 * know which engine trained it. {@code auto} (the default) takes whichever was faster for the
 * network's width in {@code bench/results/train-throughput.md}: DL4J once the dense layers cost
 * {@link #DL4J_FROM_MACS} multiply-adds per sample or more (widths of 256: 2.0x the kernel's
 * samples/s), the kernel below (widths 8 to 64: 14x to 2x DL4J's).
 */
public enum Engine {
    AUTO, KERNEL, DL4J;

    /**
     * Multiply-adds per sample in the dense layers from which DL4J trains faster than the kernel on
     * 2 cores: between width 64 (74k, DL4J at 0.5x the kernel) and width 256 (1.2M, 2.0x), at their
     * geometric mean.
     */
    public static final long DL4J_FROM_MACS = 300_000;

    /** The engine that trains a network of this shape ({@code auto} resolved by its width). */
    public Engine resolve(io.xmrec.core.net.NetShape s) {
        if (this != AUTO) {
            return this;
        }
        return denseMacs(s) >= DL4J_FROM_MACS ? DL4J : KERNEL;
    }

    /** Multiply-adds per sample of a shape's dense layers (the tower, the head and the output). */
    static long denseMacs(io.xmrec.core.net.NetShape s) {
        long macs = s.fusedWidth();
        for (int l = 1; l < s.mlpLayers().size(); l++) {
            macs += (long) s.mlpLayers().get(l - 1) * s.mlpLayers().get(l);
        }
        for (int h = 1; h <= s.headDepth(); h++) {
            int[] w = s.headLayerWidths(h);
            macs += (long) w[0] * w[1];
        }
        return macs;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code auto}, {@code kernel} or {@code dl4j}, with an error naming them. */
    public static Engine parse(String s) {
        for (Engine e : values()) {
            if (e.label().equals(s)) {
                return e;
            }
        }
        throw new IllegalArgumentException("engine must be auto, kernel or dl4j, got '" + s + "'");
    }

    /**
     * A network's steps on this engine, for a model whose {@code trainable} tensors it updates; with
     * {@code keepZeroWeights} its dense weights that are zero now stay zero, on the kernel whatever the engine (DL4J's
     * updater has no per-weight hold).
     */
    Steps open(NcfModel model, boolean[] trainable, boolean lazyTables, int batch, boolean keepZeroWeights) {
        return switch (keepZeroWeights ? KERNEL : resolve(model.net().shape())) {
            case DL4J -> Dl4jSteps.open(model, trainable, batch);
            default -> new KernelSteps(model, trainable, lazyTables, batch, keepZeroWeights);
        };
    }

    /** One network's training steps on an engine. */
    interface Steps extends AutoCloseable {
        /**
         * One Adam step on {@code count} samples from {@code from}; returns their mean binary cross-entropy before
         * the step, or NaN when the engine measures the loss on a sample of the batches only (DL4J).
         */
        double step(int[] users, int[] items, float[] labels, int from, int count);

        /** Makes the model's network hold the engine's current parameters (before it is validated or returned). */
        void sync();

        @Override
        void close();
    }

    /** The plain-Java kernel: gradients into a {@link io.xmrec.core.net.Gradient}, then Adam on the net itself. */
    private static final class KernelSteps implements Steps {
        private final NcfModel model;
        private final io.xmrec.core.net.NetKernel kernel;
        private final io.xmrec.core.net.Gradient grad;
        private final io.xmrec.core.net.Adam adam;

        KernelSteps(NcfModel model, boolean[] trainable, boolean lazyTables, int batch, boolean keepZeroWeights) {
            this.model = model;
            this.kernel = model.kernel(batch);
            // lazy updates read the touched rows only: the tables' gradients hold just those (they stay in cache)
            this.grad = new io.xmrec.core.net.Gradient(model.net(), trainable, lazyTables);
            io.xmrec.core.net.Adam a = new io.xmrec.core.net.Adam(model.net(), trainable, model.learningRate(), model.l2(),
                    lazyTables);
            this.adam = keepZeroWeights ? a.keepZeroWeights(model.net()) : a;
        }

        @Override
        public double step(int[] users, int[] items, float[] labels, int from, int count) {
            double loss = kernel.lossAndGradient(model.net(), users, items, labels, from, count, grad);
            adam.step(model.net(), grad);
            return loss;
        }

        @Override
        public void sync() {
            // the kernel trains the model's own arrays
        }

        @Override
        public void close() {
        }
    }
}
