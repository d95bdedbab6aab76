package io.xmrec.model.recipe;

import io.xmrec.model.ModelMean;
import io.xmrec.model.NcfModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recipes that average two trained networks into one ({@link ModelMean}): {@code nmf+nmf++-ft} (the
 * market's own NMF and NMF++ fine-tuned on it) and {@code nmf+nmf} (two own NMFs, the second from the
 * seed + 1: a mean with no source, and the control that tells how much of the first's gain is
 * averaging two models and how much the other markets' data).
 */
final class Means {

    private Means() {
    }

    /** The mean of two trained NMF networks (their logits averaged), served as one network ({@link ModelMean}). */
    static final class Mean implements Recipe {
        private final String name;
        private final String a;
        private final String b;

        /** The mean of {@code a} and {@code b}, named {@code a+b}. */
        Mean(String a, String b) {
            this(a + "+" + b, a, b);
        }

        Mean(String name, String a, String b) {
            this.name = name;
            this.a = a;
            this.b = b;
        }

        @Override
        public String method() {
            return name;
        }

        @Override
        public boolean crossMarket() {
            return Recipes.get(a).crossMarket() || Recipes.get(b).crossMarket();
        }

        @Override
        public List<String> inputs() {
            return List.of(a, b);
        }

        @Override
        public boolean blockDiagonal() {
            return true;
        }

        @Override
        public Trained train(Context c) {
            long t0 = System.nanoTime();
            NcfModel m = ModelMean.of(c.input(a).model(), c.input(b).model(), c.data().users(), c.data().items());
            return Trained.network(m, (System.nanoTime() - t0) / 1e9, 0, 0);
        }
    }

    /** A market's own method and its inputs trained again from the seed + 1 (the second half of {@code nmf+nmf}). */
    static final class Reseeded implements Recipe {
        private final String method;

        private Reseeded(String method) {
            this.method = method;
        }

        /** Registers the reseeded method (named {@code method@2}) and returns its name. */
        static String of(String method) {
            Reseeded r = new Reseeded(method);
            Recipes.register(r);
            return r.method();
        }

        @Override
        public String method() {
            return method + "@2";
        }

        @Override
        public Trained train(Context c) {
            TrainingSettings ts = c.settings().withSeed(c.settings().ncf().seed() + 1);
            Map<String, Trained> done = new LinkedHashMap<>();
            double seconds = 0;
            for (String stage : Recipes.chain(method)) {
                Trained t = Recipes.get(stage).train(new Context(c.data(), ts, done, s -> null, c.validation(), c.log()));
                done.put(stage, t);
                seconds += t.seconds();
            }
            Trained last = done.get(method);
            return new Trained(last.scorer(), last.model(), seconds, last.samplesPerSecond(), 0);
        }
    }
}
