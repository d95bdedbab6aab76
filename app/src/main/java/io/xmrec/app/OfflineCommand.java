package io.xmrec.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.experiments.MethodResult;
import io.xmrec.experiments.OfflineConfig;
import io.xmrec.experiments.OfflineExperiment;
import io.xmrec.model.ForecFork;
import io.xmrec.model.MamlOptions;
import io.xmrec.model.NcfOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code xmrec offline}: train and evaluate recommenders on XMarket files with the leave-one-out protocol. */
@Command(name = "offline", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Trains and evaluates recommenders on XMarket 5-core files (leave-one-out: per user the last"
                + " interaction by date is the test item, the one before it the validation item). Prints a table"
                + " of HR@10 and nDCG@10 against 99 sampled negatives and against all items, per split.")
final class OfflineCommand implements Callable<Integer> {

    // every default below is the library's, defined once there (the flags show them from here)
    private static final io.xmrec.model.NcfOptions N = io.xmrec.model.NcfOptions.defaults();
    private static final MamlOptions M = MamlOptions.defaults();
    private static final io.xmrec.model.ForecFork.Options F = io.xmrec.model.ForecFork.Options.defaults();


    @CommandLine.Mixin
    DataOption data = new DataOption();

    @Option(names = "--target", required = true, paramLabel = "MARKET",
            description = "Market to evaluate: any market of the data directory.")
    String target;

    @Option(names = "--source", paramLabel = "MARKET[,MARKET...]|auto[:N]",
            description = "Source market(s) added to the target's training data by the ++ methods; auto (or auto:N) "
                    + "chooses the N (default 1) markets most like the target before training: cosine similarity of "
                    + "item purchase counts, then the share of the target's interactions with items the source sells.")
    String source;

    @Option(names = "--target-fraction", paramLabel = "F", defaultValue = "1",
            description = "Train on this fraction of each target user's training interactions (a seeded choice per user; "
                    + "validation and test items and the sources untouched; the paper's data-size analysis). Default: all.")
    double targetFraction = 1;

    @Option(names = "--user-groups", paramLabel = "N", defaultValue = "0",
            description = "Also report test HR@10 and nDCG@10 in N equal groups of the target's users, from fewest to most "
                    + "training interactions (the paper's user-group analysis uses 5). Default: off.")
    int userGroups;

    @Option(names = "--method", paramLabel = "M[,M...]", defaultValue = "nmf",
            description = "Methods, comma separated: pop, gmf, mlp, nmf, gmf++, mlp++, nmf++, maml, nmf-forec, forec, "
                    + "forec-src-head, nmf++-ft, ma-gmf, ma-mlp, ma-nmf, nmf+nmf++-ft (the mean of nmf and nmf++-ft as one "
                    + "network), nmf+nmf (nmf and nmf from the seed + 1, the same way), ddtcdr, or auto: the "
                    + "per-market choice, which trains nmf, gmf, mlp, nmf+nmf and, with --source, gmf++, mlp++, nmf++, "
                    + "nmf-forec, forec, nmf++-ft, ma-gmf, ma-mlp, ma-nmf and nmf+nmf++-ft, and serves the one that wins on the "
                    + "target's validation by --choice-margin (default: ${DEFAULT-VALUE}). Each trains what it starts from "
                    + "once: nmf needs gmf and mlp, maml and nmf-forec need nmf++, forec needs maml; forec-src-head is forec whose "
                    + "head starts from a fork fine-tuned on the first source; ++, maml and forec need --source; ddtcdr pairs"
                    + " the target with one --source (its own GMFs for the initial tables).")
    String methods;

    @Option(names = "--choice-margin", paramLabel = "SE", defaultValue = "1.0",
            description = "For --method auto: a recipe replaces the single-market nmf only when its validation nDCG@10 "
                    + "is higher by more than this many standard errors of the paired per-user difference (default: "
                    + "${DEFAULT-VALUE}).")
    double choiceMargin;

    @Option(names = "--epochs", description = "Training epochs of a network, at most when early stopping is on (default: ${DEFAULT-VALUE}).")
    int epochs = N.epochs();

    @Option(names = "--seed", description = "Seed of initialisation, sampling and evaluation negatives (default: ${DEFAULT-VALUE}).")
    long seed = N.seed();

    @Option(names = "--batch-size", description = "Samples per step (default: ${DEFAULT-VALUE}).")
    int batchSize = N.batchSize();

    @Option(names = "--lr", description = "Adam learning rate for every model (default: 0.005 for GMF, 0.01 for MLP and NMF).")
    Double learningRate;

    @Option(names = "--l2", description = "L2 regularisation (default: ${DEFAULT-VALUE}).")
    double l2 = N.l2();

    @Option(names = "--negatives", description = "Training negatives per positive, re-sampled every epoch (default: ${DEFAULT-VALUE}).")
    int negatives = N.negatives();

    @Option(names = "--gmf-dim", description = "GMF embedding size (default: ${DEFAULT-VALUE}).")
    int gmfDim = N.gmfDim();

    @Option(names = "--mlp-dim", description = "MLP embedding size (default: ${DEFAULT-VALUE}).")
    int mlpDim = N.mlpDim();

    @Option(names = "--layers", split = ",",
            description = "MLP layer widths, the first = 2 x mlp-dim (default: ${DEFAULT-VALUE}).")
    List<Integer> layers = new java.util.ArrayList<>(N.mlpLayers());

    @Option(names = "--embedding-std", description = "Std of the normal initialisation of embeddings (default: ${DEFAULT-VALUE}).")
    double embeddingStd = N.embeddingStd();

    @Option(names = "--shots", description = "MAML: samples per K-shot batch (default: ${DEFAULT-VALUE}, as in the paper).")
    int shots = M.shots();

    @Option(names = "--fast-lr", description = "MAML: inner SGD step size beta (default: ${DEFAULT-VALUE}).")
    double fastLr = M.fastLr();

    @Option(names = "--meta-lr", 
            description = "MAML: Adam learning rate of the meta-update (default: ${DEFAULT-VALUE}; the paper's is 0.01, "
                    + "see docs/offline.md).")
    double metaLr = M.metaLr();

    @Option(names = "--maml-epochs", description = "MAML: passes over the largest market's K-shot batch pairs (default: ${DEFAULT-VALUE}).")
    int mamlEpochs = M.epochs();

    @Option(names = "--maml-max-steps", description = "MAML: cap on meta-steps per epoch, 0 = none (default: ${DEFAULT-VALUE}).")
    int mamlMaxSteps = M.maxMetaSteps();

    @Option(names = "--first-order", description = "MAML: first-order meta-gradient (default: second order by finite-difference Hessian-vector products).")
    boolean firstOrder;

    @Option(names = "--fd-eps", description = "MAML: size of the finite-difference step of the Hessian-vector product (default: ${DEFAULT-VALUE}).")
    double fdEps = M.fdEps();

    @Option(names = "--early-stopping", paramLabel = "EPOCHS", 
            description = "Stop a network's training after this many epochs without a better validation nDCG@10 (on the"
                    + " target; with --trunk-cache a trunk's shared stages on all its markets) and keep its best epoch (0 = train every"
                    + " epoch and keep the last; default: ${DEFAULT-VALUE}).")
    int earlyStopping = N.patience();

    @Option(names = "--item-bias", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Learn a bias per item, added to the output's logit (default: on; --no-item-bias as in the paper).")
    boolean itemBias;

    @Option(names = "--head", split = ",",
            description = "FOREC: hidden widths of the market head between the fused layer and the output (default: ${DEFAULT-VALUE}; the paper's 16-32-16 head is 32).")
    List<Integer> head = new java.util.ArrayList<>(F.headWidths());

    @Option(names = "--forec-lr", description = "FOREC: fine-tuning learning rate (default: ${DEFAULT-VALUE}).")
    double forecLr = F.learningRate();

    @Option(names = "--forec-l2", description = "FOREC: fine-tuning L2 (default: ${DEFAULT-VALUE}).")
    double forecL2 = F.l2();

    @Option(names = "--forec-batch", description = "FOREC: fine-tuning batch size (default: ${DEFAULT-VALUE}).")
    int forecBatch = F.batchSize();

    @Option(names = "--forec-train-users", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "FOREC: fine-tune the target's user embeddings with the head (users belong to one market; the "
                    + "paper freezes them with the trunk; default: ${DEFAULT-VALUE}).")
    boolean forecTrainUsers;

    @Option(names = "--forec-epochs", description = "FOREC: fine-tuning epochs on the target (default: ${DEFAULT-VALUE}).")
    int forecEpochs = F.epochs();

    @Option(names = "--min-interactions", defaultValue = "7", description = "Drop users with fewer interactions (default: ${DEFAULT-VALUE}).")
    int minInteractions;

    @Option(names = "--eval-negatives", defaultValue = "99", description = "Sampled negatives per held-out item (default: ${DEFAULT-VALUE}).")
    int evalNegatives;

    @Option(names = "--negatives-file", paramLabel = "FILE",
            description = "Read the evaluation negatives from FILE if it exists, else write the ones drawn there.")
    Path negativesFile;

    @Option(names = "--table-updates", paramLabel = "auto|lazy|dense", description = "How Adam updates the user and "
            + "item tables: dense (every row at every step, as PyTorch's and DL4J's Adam do), lazy (only the rows a batch "
            + "touched: a step costs what it touches whatever the size of the tables), or auto: dense up to 65,536 rows per "
            + "table, lazy above (default: auto).")
    String tableUpdates = "auto";

    @Option(names = "--engine", paramLabel = "auto|kernel|dl4j", description = "What takes the training steps of GMF, MLP, "
            + "NMF, their ++ and market-aware versions and FOREC's fine-tuning: the plain-Java kernel, DeepLearning4J "
            + "(the same steps on ND4J's native backend; tables always updated densely), or auto: DL4J for networks whose "
            + "dense layers cost 300,000 multiply-adds per sample or more (where it measured faster), the kernel below. "
            + "MAML and DDTCDR run on their own code either way (default: ${DEFAULT-VALUE}).")
    String engine = io.xmrec.model.NcfOptions.defaults().engine().label();

    @Option(names = "--no-full", description = "Skip ranking against all items (faster on large markets).")
    boolean noFull;

    @Option(names = "--no-epoch-validation", description = "Do not evaluate validation nDCG@10 after each epoch.")
    boolean noEpochValidation;

    @Option(names = "--save-models", paramLabel = "DIR", description = "Save every trained model under DIR.")
    Path saveModels;

    @Option(names = "--trunk-cache", paramLabel = "DIR", description = "Keep the cross-market stages (gmf++, mlp++, "
            + "nmf++, maml) under DIR, keyed by market set and settings, and load them instead of training when "
            + "present: targets sharing one set of markets share one trunk.")
    Path trunkCache;

    @CommandLine.Mixin
    BadLinesOption badLines = new BadLinesOption();


    @Option(names = "--new-users", paramLabel = "FRACTION",
            description = "Measure how users who arrive after training are served: hold back this share of the target's"
                    + " users, train the methods without them, fold them in (fit their embeddings with everything else"
                    + " fixed), and compare with the mean user, popularity and a model re-trained with them.")
    Double newUsers;

    @Option(names = "--fold-in-steps", defaultValue = "60", description = "With --new-users: Adam steps of a fold-in (default: ${DEFAULT-VALUE}).")
    int foldInSteps;

    @Option(names = "--fold-in-lr", defaultValue = "0.05", description = "With --new-users: step size of a fold-in (default: ${DEFAULT-VALUE}).")
    double foldInLr;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the results, per-user ranks and provenance as JSON.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private PrintWriter stdout;
    private PrintWriter stderr;

    /** The training settings the flags give (with no flag, the library's defaults: the updater's too). */
    io.xmrec.model.recipe.TrainingSettings training() {
        NcfOptions options = NcfOptions.builder().gmfDim(gmfDim).mlpDim(mlpDim).mlpLayers(layers)
                .learningRate(learningRate).l2(l2).batchSize(batchSize).negatives(negatives).epochs(epochs)
                .embeddingStd(embeddingStd).seed(seed).itemBias(itemBias).patience(earlyStopping)
                .tableUpdates(io.xmrec.model.TableUpdates.parse(tableUpdates)).engine(io.xmrec.model.Engine.parse(engine))
                .build();
        // MAML's L2 is the networks' (--l2), as in MamlOptions.defaults()
        MamlOptions maml = new MamlOptions(shots, fastLr, metaLr, l2, mamlEpochs, mamlMaxSteps, firstOrder, fdEps);
        ForecFork.Options forec = new ForecFork.Options(head, forecLr, forecL2, forecBatch, forecEpochs, forecTrainUsers);
        return new io.xmrec.model.recipe.TrainingSettings(options, maml, forec);
    }

    @Override
    public Integer call() {
        stdout = spec.commandLine().getOut();
        stderr = spec.commandLine().getErr();
        Markets.requireValid(target);
        Map<String, MarketData> all = null;
        List<Map<String, Object>> selection = null;
        List<String> sources;
        if (source != null && source.trim().toLowerCase().matches("auto(:\\d+)?")) {
            String s = source.trim().toLowerCase();
            int n = s.contains(":") ? Integer.parseInt(s.substring(5)) : 1;
            all = MarketFiles.load(data.dir, null, badLines.skip, badLines.max, stderr);
            if (!all.containsKey(target)) {
                throw new IllegalArgumentException("target " + target + " has no file in the data directory (markets there: "
                        + String.join(", ", all.keySet()) + ")");
            }
            io.xmrec.core.data.MarketStatistics stats = io.xmrec.core.data.MarketStatistics.of(all.values());
            sources = io.xmrec.core.data.SourceSelector.choose(stats, target, n);
            selection = new ArrayList<>();
            for (io.xmrec.core.data.MarketStatistics.Pair p : io.xmrec.core.data.SourceSelector.rank(stats, target)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("source", p.source());
                row.put("cosine", ResultsJson.round(p.cosine()));
                row.put("interaction_coverage", ResultsJson.round(p.interactionCoverage()));
                selection.add(row);
                stderr.printf(java.util.Locale.ROOT, "source candidates for %s: %s cosine %.4f, covers %.1f%% of its interactions%s%n",
                        target, p.source(), p.cosine(), 100 * p.interactionCoverage(),
                        sources.contains(p.source()) ? "  <- chosen" : "");
            }
        } else {
            sources = Markets.parseList(source);
        }
        List<String> methodList = new ArrayList<>();
        for (String m : methods.split(",")) {
            String name = m.trim().toLowerCase();
            if (!name.equals(io.xmrec.experiments.OfflineConfig.AUTO)) {
                io.xmrec.model.recipe.Recipes.get(name); // an unknown method is refused with the known ones
            } else if (newUsers != null) {
                throw new IllegalArgumentException("--method auto chooses on the validation of known users; it does not"
                        + " run with --new-users");
            }
            if (!methodList.contains(name)) {
                methodList.add(name);
            }
        }
        io.xmrec.model.recipe.TrainingSettings training = training();
        if (minInteractions < 3) {
            throw new IllegalArgumentException("--min-interactions must be at least 3, got " + minInteractions);
        }
        if (evalNegatives < 1) {
            throw new IllegalArgumentException("--eval-negatives must be at least 1, got " + evalNegatives);
        }
        OfflineConfig config = new OfflineConfig(target, sources, methodList, training,
                new OfflineConfig.Protocol(minInteractions, evalNegatives, !noFull, negativesFile),
                new OfflineConfig.Outputs(saveModels, trunkCache), !noEpochValidation);

        Map<String, MarketData> loaded;
        if (all != null) {
            loaded = new LinkedHashMap<>();
            for (String m : config.markets()) {
                loaded.put(m, all.get(m));
            }
        } else {
            loaded = MarketFiles.load(data.dir, config.markets(), badLines.skip, badLines.max, stderr);
        }
        Map<String, Object> dataProv = new LinkedHashMap<>();
        for (MarketData md : loaded.values()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("file", md.source().getFileName().toString());
            p.put("sha256", md.sha256());
            p.put("interactions", md.interactions().size());
            p.put("skipped_lines", md.skippedLines());
            dataProv.put(md.market(), p);
        }

        if (newUsers != null) {
            return newUsers(config, loaded, dataProv, sources, methodList);
        }
        long t0 = System.nanoTime();
        OfflineExperiment.Outcome outcome = new OfflineExperiment(config, stderr::println)
                .withTargetFraction(targetFraction).withUserGroups(userGroups).withChoiceMargin(choiceMargin).run(loaded);
        double total = (System.nanoTime() - t0) / 1e9;

        printTable(outcome.results());
        if (outcome.choice() != null) {
            stdout.println("auto: " + target + " is served " + outcome.choice().summary());
        }
        if (!outcome.userGroups().isEmpty()) {
            stdout.println();
            stdout.println("test by user group (1 = fewest training interactions), sampled negatives");
            stdout.println("method     group  users  train     HR@10  nDCG@10");
            for (io.xmrec.experiments.Analyses.GroupResult g : outcome.userGroups()) {
                stdout.printf(java.util.Locale.ROOT, "%-10s %5d %6d  %3d-%-4d %7.4f  %7.4f%n", g.method(), g.group(),
                        g.users(), g.minTrain(), g.maxTrain(), g.hitRate(), g.ndcg());
            }
        }
        stdout.printf("total %.1fs%n", total);

        if (out != null) {
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("tool", "xmrec offline");
            prov.put("command", "xmrec " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            prov.put("git_commit", Provenance.gitCommit());
            prov.put("date", Provenance.now());
            prov.put("machine", Provenance.machine());
            prov.put("target", target);
            prov.put("sources", sources);
            if (selection != null) {
                prov.put("source_selection", selection);
            }
            prov.put("methods", methodList);
            prov.put("seed", seed);
            prov.put("target_fraction", targetFraction);
            prov.put("data", dataProv);
            prov.put("hyper_parameters", OfflineExperiment.hyperParameters(config));
            prov.put("total_seconds", ResultsJson.round(total));
            ObjectNode root = ResultsJson.build(prov, outcome);
            ResultsJson.write(root, out);
            stderr.println("wrote " + out);
        }
        return 0;
    }

    private int newUsers(OfflineConfig config, Map<String, MarketData> loaded, Map<String, Object> dataProv,
                         List<String> sources, List<String> methodList) {
        long t0 = System.nanoTime();
        io.xmrec.serving.RowFitter.Options fold = new io.xmrec.serving.RowFitter.Options(foldInSteps, foldInLr,
                negatives, seed);
        io.xmrec.experiments.NewUserExperiment.Outcome o = new io.xmrec.experiments.NewUserExperiment(config, newUsers, fold,
                stderr::println).run(loaded);
        double total = (System.nanoTime() - t0) / 1e9;
        String fmt = "%-6s %-9s %-13s %6s %8s %8s %8s%n";
        stdout.printf("%d new users (held back), %d known; fold-in %.2f ms per user%n", o.newUsers(), o.knownUsers(),
                o.foldInMillisPerUser());
        stdout.printf(fmt, "market", "method", "variant", "users", "vnDCG@10", "HR@10", "nDCG@10");
        for (io.xmrec.experiments.NewUserExperiment.Row r : o.rows()) {
            stdout.printf(fmt, o.target(), r.method(), r.variant(), r.test().users(), f4(r.valid().ndcg()),
                    f4(r.test().hitRate()), f4(r.test().ndcg()));
        }
        stdout.println("New users only; 99 sampled negatives from the items the reduced models know; vnDCG = validation.");
        stdout.printf("total %.1fs%n", total);
        if (out != null) {
            ObjectNode root = ResultsJson.MAPPER.createObjectNode();
            ObjectNode prov = root.putObject("provenance");
            prov.put("tool", "xmrec offline --new-users");
            prov.put("command", "xmrec " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            prov.put("git_commit", Provenance.gitCommit());
            prov.put("date", Provenance.now());
            prov.set("machine", ResultsJson.MAPPER.valueToTree(Provenance.machine()));
            prov.put("target", target);
            prov.put("sources", String.join(",", sources));
            prov.put("methods", methodList.toString());
            prov.put("fraction", newUsers);
            prov.put("fold_in_steps", foldInSteps);
            prov.put("fold_in_lr", foldInLr);
            prov.set("data", ResultsJson.MAPPER.valueToTree(dataProv));
            prov.put("total_seconds", ResultsJson.round(total));
            root.put("new_users", o.newUsers());
            root.put("known_users", o.knownUsers());
            root.put("fold_in_ms_per_user", ResultsJson.round(o.foldInMillisPerUser()));
            var rows = root.putArray("rows");
            for (io.xmrec.experiments.NewUserExperiment.Row r : o.rows()) {
                rows.addObject().put("market", o.target()).put("method", r.method()).put("variant", r.variant())
                        .put("users", r.test().users()).put("valid_ndcg10", r.valid().ndcg())
                        .put("test_hr10", r.test().hitRate()).put("test_ndcg10", r.test().ndcg());
            }
            ResultsJson.write(root, out);
            stderr.println("wrote " + out);
        }
        return 0;
    }

    private void printTable(List<MethodResult> results) {
        int w = Math.max(9, results.stream().mapToInt(r -> r.method().length()).max().orElse(0));
        String fmt = "%-6s %-" + w + "s %-5s %6s %8s %8s %8s %8s %9s %9s%n";
        stdout.printf(fmt, "market", "method", "split", "users", "HR@10", "nDCG@10", "fHR@10", "fnDCG@10", "train_s", "samples/s");
        for (MethodResult r : results) {
            stdout.printf(fmt, r.market(), r.method(), r.split().label(), r.sampled().users(),
                    f4(r.sampled().hitRate()), f4(r.sampled().ndcg()),
                    r.full() == null ? "-" : f4(r.full().hitRate()), r.full() == null ? "-" : f4(r.full().ndcg()),
                    String.format("%.1f", r.trainSeconds()), r.metaStepsPerSecond() > 0
                            ? String.format("%.0f/s*", r.metaStepsPerSecond()) : String.format("%.0f", r.samplesPerSecond()));
        }
        boolean maml = results.stream().anyMatch(r -> r.metaStepsPerSecond() > 0);
        stdout.println("HR/nDCG: 99 sampled negatives; fHR/fnDCG: all items of the market the user did not train on;"
                + " ties rank the held-out item last" + (maml ? "; * = MAML meta-steps per second." : "."));
    }

    private static String f4(double v) {
        return String.format("%.4f", v);
    }
}
