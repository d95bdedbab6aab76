package io.xmrec.model.recipe;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IndexedMarket;
import io.xmrec.model.Ddtcdr;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlTrainer;
import io.xmrec.model.NcfArchitecture;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.core.net.NetShape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every method xmrec trains, by name: the popularity baseline, GMF, MLP and NMF on one market
 * and with sources ({@code ++}), their market-aware versions ({@code ma-}: one network for all
 * markets with a vector per market, Bhargav et al., ECIR 2023), MAML on NMF++, the FOREC family
 * (NMF++ or the MAML trunk forked with a market head and fine-tuned on the target) and DDTCDR.
 */
public final class Recipes {

    private static final Map<String, Recipe> ALL = new LinkedHashMap<>();

    static {
        register(new Popularity());
        for (boolean pp : new boolean[] {false, true}) {
            register(new Ncf(NcfArchitecture.GMF, pp));
            register(new Ncf(NcfArchitecture.MLP, pp));
            register(new Ncf(NcfArchitecture.NMF, pp));
        }
        for (NcfArchitecture a : List.of(NcfArchitecture.GMF, NcfArchitecture.MLP, NcfArchitecture.NMF)) {
            register(new Ncf(a, true, true));
        }
        register(new TargetTuned("nmf++"));
        register(new Maml());
        register(new Fork("nmf-forec", "nmf++", false));
        register(new Fork("forec", "maml", false));
        register(new Fork("forec-src-head", "maml", true));
        register(new DdtcdrRecipe());
        register(new Means.Mean("nmf", "nmf++-ft"));
        register(new Means.Mean("nmf+nmf", "nmf", Means.Reseeded.of("nmf")));
    }

    private Recipes() {
    }

    /** Adds a recipe (a new method needs nothing else to run offline and in the updater). */
    public static synchronized void register(Recipe r) {
        ALL.put(r.method(), r);
    }

    /**
     * Adds a recipe until the returned handle is closed, then puts back whatever had the name before
     * (a test, or a recipe tried out, leaves the registry as it found it).
     */
    public static synchronized AutoCloseable registerUntilClosed(Recipe r) {
        Recipe before = ALL.put(r.method(), r);
        return () -> {
            synchronized (Recipes.class) {
                if (before == null) {
                    ALL.remove(r.method(), r);
                } else {
                    ALL.replace(r.method(), r, before);
                }
            }
        };
    }

    /** The recipe of a method; an error lists the known ones. */
    public static synchronized Recipe get(String method) {
        Recipe r = ALL.get(method);
        if (r == null) {
            // a reseeded stage (name@2) is an input of a mean, not a method one asks for: not listed
            throw new IllegalArgumentException("unknown method '" + method + "': expected one of " + String.join(", ",
                    ALL.keySet().stream().filter(m -> !m.contains("@")).toList()));
        }
        return r;
    }

    public static synchronized List<String> methods() {
        return new ArrayList<>(ALL.keySet());
    }

    /** Every method a method needs trained first, inputs before their users, the method itself last. */
    public static List<String> chain(String method) {
        List<String> out = new ArrayList<>();
        addChain(method, out);
        return out;
    }

    /**
     * Trains a method's chain on one data set, stage by stage, each stage that stops early watching
     * the data set's validation as offline does: what a market's own models are (the choice's
     * baseline), in the updater and in benches alike.
     */
    public static Map<String, Trained> trainChain(String method, CrossMarketDataset ds, TrainingSettings ts, int evalNegatives,
                                                  java.util.function.Consumer<String> log) {
        Map<String, Trained> done = new LinkedHashMap<>();
        for (String stage : chain(method)) {
            Recipe r = get(stage);
            var validation = ts.ncf().patience() <= 0 ? null : Validation.of(r, ds, ts.ncf().seed(), evalNegatives);
            done.put(stage, r.train(new Recipe.Context(ds, ts, done, s -> null, validation, log)));
        }
        return done;
    }

    private static void addChain(String method, List<String> out) {
        if (out.contains(method)) {
            return;
        }
        for (String in : get(method).inputs()) {
            addChain(in, out);
        }
        out.add(method);
    }

    /** A data set's market names, in order. */
    static List<String> markets(CrossMarketDataset ds) {
        return ds.markets().stream().map(IndexedMarket::market).toList();
    }

    /** The popularity baseline: how often the item occurs in the target's training data. */
    static final class Popularity implements Recipe {
        @Override
        public String method() {
            return "pop";
        }

        @Override
        public Trained train(Context c) {
            return new Trained(new PopularityScorer(c.data().target(), c.data().items().size()), null, 0, 0, 0);
        }
    }

    /**
     * GMF, MLP or NMF on the target alone, or on target and sources with equal sampling per step
     * ({@code ++}); market-aware ({@code ma-}), the shared network's item vectors are multiplied by a
     * learned vector of the user's market in each branch, trained the same way as {@code ++}.
     */
    static final class Ncf implements Recipe {
        private final NcfArchitecture arch;
        private final boolean pp;
        private final boolean marketAware;

        Ncf(NcfArchitecture arch, boolean pp) {
            this(arch, pp, false);
        }

        Ncf(NcfArchitecture arch, boolean pp, boolean marketAware) {
            this.arch = arch;
            this.pp = pp || marketAware;
            this.marketAware = marketAware;
        }

        @Override
        public String method() {
            return marketAware ? "ma-" + arch.label() : arch.label() + (pp ? "++" : "");
        }

        private String stage(String label) {
            return marketAware ? "ma-" + label : label + (pp ? "++" : "");
        }

        @Override
        public Scope scope() {
            return pp ? Scope.SHARED : Scope.PER_MARKET;
        }

        @Override
        public boolean crossMarket() {
            return pp;
        }

        @Override
        public List<String> inputs() {
            return switch (arch) {
                case GMF -> List.of();
                case MLP -> List.of(stage("gmf"));
                case NMF -> List.of(stage("gmf"), stage("mlp"));
                default -> throw new IllegalStateException(arch.label());
            };
        }

        @Override
        public Trained train(Context c) {
            CrossMarketDataset ds = c.data();
            // items are shared across markets but their popularity is not: a stage shared by several markets learns
            // no item bias (the source's popularity would decide the target's ranking); a market's own stage does,
            // and a fork of the trunk adds one of its own (chosen on validation, docs/design.md)
            NcfOptions o = pp ? c.settings().ncf().withItemBias(false) : c.settings().ncf();
            int samplesPerEpoch = 0;
            for (IndexedMarket m : ds.markets()) {
                samplesPerEpoch = Math.max(samplesPerEpoch, m.trainInteractions() * (1 + o.negatives()));
            }
            c.log().accept(String.format("[%s %s] training on %s: %d users, %d items, ~%d samples per market per epoch, "
                    + "%d epochs", c.target(), method(), markets(ds), ds.users().size(), ds.items().size(), samplesPerEpoch,
                    o.epochs()));
            NcfTrainer plain = new NcfTrainer(o, c.listener(method()), c.validation());
            NcfTrainer t = marketAware ? plain.marketAware() : plain;
            NcfTrainer.TrainingRun run = switch (arch) {
                case GMF -> t.trainGmf(ds);
                case MLP -> t.trainMlp(ds, c.input(inputs().get(0)).model());
                case NMF -> t.trainNmf(ds, c.input(inputs().get(0)).model(), c.input(inputs().get(1)).model());
                default -> throw new IllegalStateException(arch.label());
            };
            c.log().accept(String.format("[%s %s] trained in %.1fs (%.0f samples/s)", c.target(), method(), run.seconds(),
                    run.samplesPerSecond()));
            return Trained.network(run.model(), run.seconds(), run.samplesPerSecond(), 0);
        }
    }

    /**
     * A shared stage fine-tuned on the target alone: every tensor of the trained {@code ++} network goes
     * on training on the target's interactions only, with the stage's own settings and early stopping
     * on the target's validation (the plain transfer baseline: pre-train on all markets, fine-tune on
     * one). Named after its input with {@code -ft}.
     */
    static final class TargetTuned implements Recipe {
        private final String shared;

        TargetTuned(String shared) {
            this.shared = shared;
        }

        @Override
        public String method() {
            return shared + "-ft";
        }

        @Override
        public Scope scope() {
            return Scope.PER_MARKET;
        }

        @Override
        public boolean crossMarket() {
            return true;
        }

        @Override
        public List<String> inputs() {
            return List.of(shared);
        }

        @Override
        public Trained train(Context c) {
            NcfModel start = c.input(shared).model().copy();
            c.log().accept(String.format("[%s %s] fine-tuning every tensor of %s on %s only, up to %d epochs",
                    c.target(), method(), shared, c.target(), c.settings().ncf().epochs()));
            NcfTrainer.TrainingRun run = new NcfTrainer(c.settings().ncf(), c.listener(method()), c.validation())
                    .train(start, c.data().restrictedTo(List.of(c.target())));
            c.log().accept(String.format("[%s %s] fine-tuned in %.1fs (%.0f samples/s)", c.target(), method(),
                    run.seconds(), run.samplesPerSecond()));
            return Trained.network(run.model(), run.seconds(), run.samplesPerSecond(), 0);
        }
    }

    /** MAML pre-training of the NMF++ trunk across the markets (second order by default). */
    static final class Maml implements Recipe {
        @Override
        public String method() {
            return "maml";
        }

        @Override
        public Scope scope() {
            return Scope.SHARED;
        }

        @Override
        public boolean crossMarket() {
            return true;
        }

        @Override
        public List<String> inputs() {
            return List.of("nmf++");
        }

        @Override
        public Trained train(Context c) {
            CrossMarketDataset ds = c.data();
            var mo = c.settings().maml();
            c.log().accept(String.format("[%s maml] meta-training on %s: %d-shot batches, fast lr %s, %s order, %d epochs",
                    c.target(), markets(ds), mo.shots(), mo.fastLr(), mo.firstOrder() ? "first" : "second", mo.epochs()));
            NcfTrainer.EpochListener progress = c.listener(method());
            MamlTrainer.MamlRun run = new MamlTrainer(mo, c.settings().ncf().seed(), c.settings().ncf().negatives(),
                    (e, n, steps, loss, secs, model) -> {
                        c.log().accept(String.format("[%s maml] epoch %d/%d: %d meta-steps, eval loss %.4f | %.0f meta-steps/s",
                                c.target(), e, n, steps, loss, steps / Math.max(secs, 1e-9)));
                        if (progress != null) {
                            progress.epochDone(new NcfTrainer.EpochReport(NcfArchitecture.NMF, e, n, loss,
                                    new NcfTrainer.Pace(steps, secs, 0, 0),
                                    c.validation() == null ? Double.NaN : c.validation().applyAsDouble(model), false), model);
                        }
                    }).train(c.input("nmf++").model(), ds);
            c.log().accept(String.format("[%s maml] trained in %.1fs (%.1f meta-steps/s)", c.target(), run.seconds(),
                    run.metaStepsPerSecond()));
            return Trained.network(run.model(), run.seconds(), 0, run.metaStepsPerSecond());
        }
    }

    /**
     * A FOREC fork of a trunk (NMF++ or the MAML trunk) fine-tuned on the target only; with
     * {@code sourceHead} its head starts from a fork fine-tuned on the first source (how the
     * updater starts a market without a head of its own).
     */
    static final class Fork implements Recipe {
        private final String name;
        private final String trunk;
        private final boolean sourceHead;

        Fork(String name, String trunk, boolean sourceHead) {
            this.name = name;
            this.trunk = trunk;
            this.sourceHead = sourceHead;
        }

        @Override
        public String method() {
            return name;
        }

        @Override
        public Scope scope() {
            return Scope.PER_MARKET;
        }

        @Override
        public boolean crossMarket() {
            return true;
        }

        @Override
        public List<String> inputs() {
            return List.of(trunk);
        }

        @Override
        public List<String> marketTensors(NetShape shape) {
            return ForecFork.headTensors(shape);
        }

        @Override
        public Trained train(Context c) {
            CrossMarketDataset ds = c.data();
            ForecFork.Options fo = c.settings().forec();
            long seed = c.settings().ncf().seed();
            NcfModel t = c.input(trunk).model();
            NcfModel forked = ForecFork.fork(t, fo, seed, c.settings().ncf().itemBias());
            double sourceSeconds = 0;
            if (sourceHead) {
                if (ds.markets().size() < 2) {
                    throw new IllegalArgumentException(name + " starts the head from a source market's: give --source");
                }
                String source = ds.markets().get(1).market();
                NcfModel sourceFork = ForecFork.fork(t, fo, seed, c.settings().ncf().itemBias());
                NcfTrainer.TrainingRun s = fineTune(c, source, sourceFork, null, null);
                sourceSeconds = s.seconds();
                if (!ForecFork.copyHead(s.model(), forked, fo)) {
                    throw new IllegalStateException("the head of " + source + "'s fork does not fit " + c.target() + "'s");
                }
            }
            NcfTrainer.TrainingRun run = fineTune(c, c.target(), forked, c.listener(name), c.validation());
            return Trained.network(run.model(), run.seconds() + sourceSeconds, run.samplesPerSecond(), 0);
        }

        private NcfTrainer.TrainingRun fineTune(Context c, String on, NcfModel fork, NcfTrainer.EpochListener progress,
                                                java.util.function.ToDoubleFunction<NcfModel> validation) {
            ForecFork.Options fo = c.settings().forec();
            NcfOptions ft = c.settings().ncf().withEpochs(fo.epochs()).withBatchSize(fo.batchSize());
            c.log().accept(String.format("[%s %s] fine-tuning a fork of %s on %s only: head %s, lr %s, l2 %s, batch %d, %d epochs",
                    c.target(), name, trunk, on, fo.headWidths(), fo.learningRate(), fo.l2(), fo.batchSize(), fo.epochs()));
            NcfTrainer.TrainingRun run = new NcfTrainer(ft, progress, validation).train(fork, c.data().restrictedTo(List.of(on)));
            c.log().accept(String.format("[%s %s] fine-tuned on %s in %.1fs (%.0f samples/s)", c.target(), name, on,
                    run.seconds(), run.samplesPerSecond()));
            return run;
        }
    }

    /**
     * DDTCDR on the target and its one source: a GMF per market on the shared vocabularies for the
     * initial tables, then both MLPs with the orthogonal item map (counted as one stage).
     */
    static final class DdtcdrRecipe implements Recipe {
        @Override
        public String method() {
            return "ddtcdr";
        }

        @Override
        public Scope scope() {
            return Scope.PER_MARKET;
        }

        @Override
        public boolean crossMarket() {
            return true;
        }

        @Override
        public List<String> inputs() {
            return List.of();
        }

        @Override
        public Trained train(Context c) {
            CrossMarketDataset ds = c.data();
            if (ds.markets().size() != 2) {
                throw new IllegalArgumentException("ddtcdr pairs the target with one source market; got sources "
                        + markets(ds).subList(1, ds.markets().size()) + ": give --source with a single market");
            }
            String target = c.target();
            String source = ds.markets().get(1).market();
            long t0 = System.nanoTime();
            NcfModel[] gmf = new NcfModel[2];
            int k = 0;
            NcfOptions n = c.settings().ncf();
            for (String m : List.of(target, source)) {
                CrossMarketDataset one = ds.restrictedTo(List.of(m));
                c.log().accept(String.format("[%s ddtcdr] GMF on %s alone for the initial tables", target, m));
                gmf[k++] = new NcfTrainer(n, null).trainGmf(one).model();
            }
            Ddtcdr.Options o = Ddtcdr.Options.defaults().like(n);
            Ddtcdr model = Ddtcdr.fromGmf(ds, gmf[0], gmf[1], o);
            c.log().accept(String.format("[%s ddtcdr] training with source %s: dim %d, MLP %s, a %.1f, orthogonality %.1f, "
                    + "%d epochs", target, source, o.dim(), o.hidden(), o.alpha(), o.orthogonality(), o.training().epochs()));
            model.train(ds.target(), ds.market(source), (e, epochs, lt, ls, gap, secs) -> c.log().accept(String.format(
                    "[%s ddtcdr] epoch %d/%d loss %s %.4f, %s %.4f, ||X^T X - I|| %.4f | %.1fs", target, e, epochs,
                    target, lt, source, ls, gap, secs)));
            double secs = (System.nanoTime() - t0) / 1e9;
            c.log().accept(String.format("[%s ddtcdr] trained in %.1fs (GMFs included)", target, secs));
            return new Trained(model, null, secs, 0, 0);
        }
    }
}
