package io.xmrec.model.updater;

import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.serving.RowFitter;

import java.time.Duration;

/**
 * What the continual updater does and how often: immutable, made from {@link #defaults()} (every default
 * is defined once, in its builder) by the {@code with} methods.
 *
 * <ul>
 *     <li>{@code method}: the recipe of the served models ({@code forec}: the trunk is NMF++ then MAML,
 *         forked per market), or {@code auto}: each market's choice at every trunk
 *         ({@link io.xmrec.model.recipe.Choice}) among FOREC's stages and fork and the
 *         market's own GMF, MLP and NMF; trained with {@code training}, the offline settings
 *     </li>
 *     <li>{@code training}: every stage's hyper-parameters: the same as an offline run's
 *     </li>
 *     <li>{@code bootstrapEpochs}: epochs of every stage of the first trunk, so a first model is out quickly
 *         (0: the recipe's own); every later trunk runs the recipe in full
 *     </li>
 *     <li>{@code bootstrapInteractions}: eligible training interactions before the first trunk
 *     </li>
 *     <li>{@code firstModelInteractions}: a market without a model gets a first one of its own (single-market NMF, a few
 *         seconds) once it has this many eligible training interactions, without waiting for a
 *         trunk; the next trunk replaces it (0: wait for the trunk)
 *     </li>
 *     <li>{@code refreshGrowth}: the medium path retrains a market's own model (its single-market NMF, the
 *         offline recipe) from scratch once the market's eligible training interactions grew by this share since
 *         its own model was last trained, and serves it until the next trunk if it validates above the model
 *         served (0: never)
 *     </li>
 *     <li>{@code continueOwn}: such a retrain starts from the market's last own model as it was trained (its
 *         baseline's last stage alone, on everything read, early stopping as offline) rather than the recipe's whole
 *         chain from scratch; a market served a trunk's fork is retrained from scratch either way
 *     </li>
 *     <li>{@code retrainGrowth}: a new trunk once the training interactions grew by this share since the last
 *         trunk's snapshot...
 *     </li>
 *     <li>{@code retrainIdle}: ...or the input has been caught up (idle) this long with anything new since...
 *     </li>
 *     <li>{@code retrainInterval}: ...or this long has passed with anything new since
 *     </li>
 *     <li>{@code fastDelay}: the fast path coalesces the interactions of this window before re-fitting rows
 *     </li>
 *     <li>{@code headInterval}: the medium path fine-tunes a market's head at most this often...
 *     </li>
 *     <li>{@code headMinInteractions}: ...and once this many new interactions have come in since its last run
 *     </li>
 *     <li>{@code headSample}: training interactions (over all the market's users) the head is fine-tuned on
 *     </li>
 *     <li>{@code headEpochs}: passes over that sample
 *     </li>
 *     <li>{@code snapshotInterval}: a full snapshot once the deltas published since the last one add up to its
 *         size, or at least this often once deltas were published after the last...
 *     </li>
 *     <li>{@code snapshotDeltas}: ...or after this many deltas
 *     </li>
 *     <li>{@code rowFit}: the fast path's fitting of user and item rows
 *     </li>
 *     <li>{@code rollbackMargin}: a head update more than this much worse in validation nDCG@10 is refused
 *     </li>
 *     <li>{@code validationUsers}: the updater's validation (the rollback guard, a new model's figure) scores at
 *         most this many eligible users' holdouts, a seeded sample that keeps the same users as the market grows
 *     </li>
 *     <li>{@code evalNegatives}: evaluation negatives per held-out item (99)
 *     </li>
 *     <li>{@code minInteractions}: users with fewer interactions are not evaluated (the protocol's 7)
 *     </li>
 *     <li>{@code workers}: threads for the markets' fast and medium paths (one job per market at a time)
 *     </li>
 *     <li>{@code references}: train a single-market NMF per market with every trunk, for comparison
 *     </li>
 *     <li>{@code seed}: seed of everything random
 *     </li>
 *     <li>{@code paths}: which of the fast, medium and slow paths run (all; fewer to measure what each earns)
 *     </li>
 * </ul>
 */
public final class UpdaterSettings {

    private final String method;
    private final TrainingSettings training;
    private final int bootstrapEpochs;
    private final long bootstrapInteractions;
    private final int firstModelInteractions;
    private final double refreshGrowth;
    private final boolean continueOwn;
    private final double retrainGrowth;
    private final Duration retrainIdle;
    private final Duration retrainInterval;
    private final Duration fastDelay;
    private final Duration headInterval;
    private final int headMinInteractions;
    private final int headSample;
    private final int headEpochs;
    private final Duration snapshotInterval;
    private final int snapshotDeltas;
    private final RowFitter.Options rowFit;
    private final double rollbackMargin;
    private final int validationUsers;
    private final int evalNegatives;
    private final int minInteractions;
    private final int workers;
    private final boolean references;
    private final long seed;
    private final java.util.Set<String> paths;

    /** The three paths: rows re-fitted (fast), heads fine-tuned (medium), trunks after the first (slow). */
    public static final java.util.List<String> PATHS = java.util.List.of("fast", "medium", "slow");

    /** The settings being edited; its initial values are the defaults. */
    private static final class Builder {
        String method = Choice.AUTO;
        TrainingSettings training = TrainingSettings.defaults();
        int bootstrapEpochs = 5;
        long bootstrapInteractions = 20_000;
        int firstModelInteractions = 300;
        double refreshGrowth = 0.25;
        boolean continueOwn = true;
        double retrainGrowth = 0.25;
        Duration retrainIdle = Duration.ofSeconds(10);
        Duration retrainInterval = Duration.ofMinutes(30);
        Duration fastDelay = Duration.ofMillis(200);
        Duration headInterval = Duration.ofSeconds(30);
        int headMinInteractions = 200;
        int headSample = 20_000;
        int headEpochs = 1;
        Duration snapshotInterval = Duration.ofMinutes(30);
        int snapshotDeltas = 2000;
        RowFitter.Options rowFit = RowFitter.Options.streaming();
        double rollbackMargin = 0.02;
        int validationUsers = 5_000;
        int evalNegatives = 99;
        int minInteractions = 7;
        int workers = 2;
        boolean references = true;
        long seed = 42;
        java.util.Set<String> paths = java.util.Set.copyOf(PATHS);

        Builder() {
        }

        Builder(UpdaterSettings s) {
            method = s.method;
            training = s.training;
            bootstrapEpochs = s.bootstrapEpochs;
            bootstrapInteractions = s.bootstrapInteractions;
            firstModelInteractions = s.firstModelInteractions;
            refreshGrowth = s.refreshGrowth;
            continueOwn = s.continueOwn;
            retrainGrowth = s.retrainGrowth;
            retrainIdle = s.retrainIdle;
            retrainInterval = s.retrainInterval;
            fastDelay = s.fastDelay;
            headInterval = s.headInterval;
            headMinInteractions = s.headMinInteractions;
            headSample = s.headSample;
            headEpochs = s.headEpochs;
            snapshotInterval = s.snapshotInterval;
            snapshotDeltas = s.snapshotDeltas;
            rowFit = s.rowFit;
            rollbackMargin = s.rollbackMargin;
            validationUsers = s.validationUsers;
            evalNegatives = s.evalNegatives;
            minInteractions = s.minInteractions;
            workers = s.workers;
            references = s.references;
            seed = s.seed;
            paths = s.paths;
        }
    }

    private UpdaterSettings(Builder b) {
        method = b.method;
        training = b.training;
        bootstrapEpochs = b.bootstrapEpochs;
        bootstrapInteractions = b.bootstrapInteractions;
        firstModelInteractions = b.firstModelInteractions;
        refreshGrowth = b.refreshGrowth;
        continueOwn = b.continueOwn;
        retrainGrowth = b.retrainGrowth;
        retrainIdle = b.retrainIdle;
        retrainInterval = b.retrainInterval;
        fastDelay = b.fastDelay;
        headInterval = b.headInterval;
        headMinInteractions = b.headMinInteractions;
        headSample = b.headSample;
        headEpochs = b.headEpochs;
        snapshotInterval = b.snapshotInterval;
        snapshotDeltas = b.snapshotDeltas;
        rowFit = b.rowFit;
        rollbackMargin = b.rollbackMargin;
        validationUsers = b.validationUsers;
        evalNegatives = b.evalNegatives;
        minInteractions = b.minInteractions;
        workers = b.workers;
        references = b.references;
        seed = b.seed;
        paths = java.util.Set.copyOf(b.paths);
        if (!PATHS.containsAll(paths)) {
            throw new IllegalArgumentException("paths " + paths + ": each must be one of " + PATHS);
        }
        if (bootstrapEpochs < 0 || bootstrapInteractions < 1 || firstModelInteractions < 0 || !(refreshGrowth >= 0) || !(retrainGrowth > 0) || headMinInteractions < 1
                || headSample < 1 || headEpochs < 1 || snapshotDeltas < 1 || rollbackMargin < 0 || validationUsers < 1
                || evalNegatives < 1
                || minInteractions < 3 || workers < 1 || fastDelay.isNegative() || headInterval.isNegative()
                || retrainIdle.isNegative() || retrainInterval.isNegative() || snapshotInterval.isNegative()) {
            throw new IllegalArgumentException("updater settings out of range: " + this);
        }
    }

    public static UpdaterSettings defaults() {
        return new UpdaterSettings(new Builder());
    }

    private UpdaterSettings with(java.util.function.Consumer<Builder> edit) {
        Builder b = new Builder(this);
        edit.accept(b);
        return new UpdaterSettings(b);
    }

    /** Whether each market's recipe is chosen at every trunk ({@code auto}). */
    public boolean chooses() {
        return method.equals(Choice.AUTO);
    }

    /** The recipe whose chain a trunk trains: the method, or for {@code auto} {@link Choice#TRUNK}. */
    public String trunkMethod() {
        return chooses() ? Choice.TRUNK : method;
    }

    public UpdaterSettings withTraining(TrainingSettings t) {
        return with(b -> b.training = t);
    }

    public UpdaterSettings withMethod(String m) {
        return with(b -> b.method = m);
    }

    public UpdaterSettings withBootstrap(long interactions, int epochs) {
        return with(b -> {
            b.bootstrapInteractions = interactions;
            b.bootstrapEpochs = epochs;
        });
    }

    public UpdaterSettings withFirstModel(int interactions) {
        return with(b -> b.firstModelInteractions = interactions);
    }

    /** Growth of a market's eligible training interactions that retrains its own model on the medium path (0: never). */
    public UpdaterSettings withRefresh(double growth) {
        return with(b -> b.refreshGrowth = growth);
    }

    /** Whether a retrain of a market's own model continues from its last one as trained (true) or starts from scratch. */
    public UpdaterSettings withContinueOwn(boolean fromLast) {
        return with(b -> b.continueOwn = fromLast);
    }

    public UpdaterSettings withRetrain(double growth, Duration idle, Duration interval) {
        return with(b -> {
            b.retrainGrowth = growth;
            b.retrainIdle = idle;
            b.retrainInterval = interval;
        });
    }

    /**
     * Only these of the paths run (for measuring what each earns): without fast, interactions after
     * a model are not folded into it; without medium, heads are not fine-tuned; without slow, no trunk
     * follows the first, so a market keeps the first trunk's model (with fast and medium off: frozen).
     */
    public UpdaterSettings withPaths(java.util.Collection<String> p) {
        return with(b -> b.paths = java.util.Set.copyOf(p));
    }

    public java.util.Set<String> paths() {
        return paths;
    }

    public boolean runs(String path) {
        return paths.contains(path);
    }

    public UpdaterSettings withFastDelay(Duration d) {
        return with(b -> b.fastDelay = d);
    }

    public UpdaterSettings withHead(Duration interval, int minInteractions, int sample, int epochs) {
        return with(b -> {
            b.headInterval = interval;
            b.headMinInteractions = minInteractions;
            b.headSample = sample;
            b.headEpochs = epochs;
        });
    }

    public UpdaterSettings withSnapshots(Duration interval, int deltas) {
        return with(b -> {
            b.snapshotInterval = interval;
            b.snapshotDeltas = deltas;
        });
    }

    public UpdaterSettings withRollbackMargin(double margin) {
        return with(b -> b.rollbackMargin = margin);
    }

    public UpdaterSettings withValidationUsers(int users) {
        return with(b -> b.validationUsers = users);
    }

    public UpdaterSettings withWorkers(int n, boolean refs) {
        return with(b -> {
            b.workers = n;
            b.references = refs;
        });
    }

    public UpdaterSettings withMinInteractions(int n) {
        return with(b -> b.minInteractions = n);
    }

    public String method() {
        return method;
    }

    public TrainingSettings training() {
        return training;
    }

    public int bootstrapEpochs() {
        return bootstrapEpochs;
    }

    public long bootstrapInteractions() {
        return bootstrapInteractions;
    }

    public int firstModelInteractions() {
        return firstModelInteractions;
    }

    public double refreshGrowth() {
        return refreshGrowth;
    }

    public boolean continueOwn() {
        return continueOwn;
    }

    public double retrainGrowth() {
        return retrainGrowth;
    }

    public Duration retrainIdle() {
        return retrainIdle;
    }

    public Duration retrainInterval() {
        return retrainInterval;
    }

    public Duration fastDelay() {
        return fastDelay;
    }

    public Duration headInterval() {
        return headInterval;
    }

    public int headMinInteractions() {
        return headMinInteractions;
    }

    public int headSample() {
        return headSample;
    }

    public int headEpochs() {
        return headEpochs;
    }

    public Duration snapshotInterval() {
        return snapshotInterval;
    }

    public int snapshotDeltas() {
        return snapshotDeltas;
    }

    public RowFitter.Options rowFit() {
        return rowFit;
    }

    public double rollbackMargin() {
        return rollbackMargin;
    }

    public int validationUsers() {
        return validationUsers;
    }

    public int evalNegatives() {
        return evalNegatives;
    }

    public int minInteractions() {
        return minInteractions;
    }

    public int workers() {
        return workers;
    }

    public boolean references() {
        return references;
    }

    public long seed() {
        return seed;
    }

    @Override
    public String toString() {
        return "UpdaterSettings[method=" + method + ", training=" + training + ", bootstrapEpochs=" + bootstrapEpochs
                + ", bootstrapInteractions=" + bootstrapInteractions + ", firstModelInteractions=" + firstModelInteractions
                + ", refreshGrowth=" + refreshGrowth + ", continueOwn=" + continueOwn
                + ", retrainGrowth=" + retrainGrowth + ", retrainIdle=" + retrainIdle + ", retrainInterval=" + retrainInterval
                + ", fastDelay=" + fastDelay + ", headInterval=" + headInterval + ", headMinInteractions=" + headMinInteractions
                + ", headSample=" + headSample + ", headEpochs=" + headEpochs + ", snapshotInterval=" + snapshotInterval
                + ", snapshotDeltas=" + snapshotDeltas + ", rowFit=" + rowFit + ", rollbackMargin=" + rollbackMargin
                + ", validationUsers=" + validationUsers
                + ", evalNegatives=" + evalNegatives + ", minInteractions=" + minInteractions + ", workers=" + workers
                + ", references=" + references + ", seed=" + seed + ", paths=" + new java.util.TreeSet<>(paths) + "]";
    }
}
