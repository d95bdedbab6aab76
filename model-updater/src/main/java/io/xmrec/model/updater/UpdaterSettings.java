package io.xmrec.model.updater;

import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.TrainingSettings;
import io.xmrec.serving.RowFitter;

import java.time.Duration;

/**
 * What the continual updater does and how often.
 *
 * @param method                the recipe of the served models ({@code forec}: the trunk is NMF++ then MAML,
 *                              forked per market), or {@code auto}: each market's choice at every trunk
 *                              ({@link io.xmrec.model.recipe.Choice}) among FOREC's stages and fork and the
 *                              market's own GMF, MLP and NMF; trained with {@code training}, the offline settings
 * @param training              every stage's hyper-parameters: the same as an offline run's
 * @param bootstrapEpochs       epochs of every stage of the first trunk, so a first model is out quickly
 *                              (0: the recipe's own); every later trunk runs the recipe in full
 * @param bootstrapInteractions eligible training interactions before the first trunk
 * @param firstModelInteractions a market without a model gets a first one of its own (single-market NMF, a few
 *                              seconds) once it has this many eligible training interactions, without waiting for a
 *                              trunk; the next trunk replaces it (0: wait for the trunk)
 * @param retrainGrowth         a new trunk once the training interactions grew by this share since the last
 *                              trunk's snapshot...
 * @param retrainIdle           ...or the input has been caught up (idle) this long with anything new since...
 * @param retrainInterval       ...or this long has passed with anything new since
 * @param fastDelay             the fast path coalesces the interactions of this window before re-fitting rows
 * @param headInterval          the medium path fine-tunes a market's head at most this often...
 * @param headMinInteractions   ...and once this many new interactions have come in since its last run
 * @param headSample            training interactions (over all the market's users) the head is fine-tuned on
 * @param headEpochs            passes over that sample
 * @param snapshotInterval      a full snapshot at least this often once deltas were published after the last...
 * @param snapshotDeltas        ...or after this many deltas
 * @param rowFit                the fast path's fitting of user and item rows
 * @param rollbackMargin        a head update more than this much worse in validation nDCG@10 is refused
 * @param evalNegatives         evaluation negatives per held-out item (99)
 * @param minInteractions       users with fewer interactions are not evaluated (the protocol's 7)
 * @param workers               threads for the markets' fast and medium paths (one job per market at a time)
 * @param references            train a single-market NMF per market with every trunk, for comparison
 * @param seed                  seed of everything random
 */
public record UpdaterSettings(String method, TrainingSettings training, int bootstrapEpochs, long bootstrapInteractions,
                              int firstModelInteractions,
                              double retrainGrowth, Duration retrainIdle, Duration retrainInterval, Duration fastDelay,
                              Duration headInterval, int headMinInteractions, int headSample, int headEpochs,
                              Duration snapshotInterval, int snapshotDeltas, RowFitter.Options rowFit,
                              double rollbackMargin, int evalNegatives, int minInteractions, int workers,
                              boolean references, long seed) {

    public UpdaterSettings {
        if (bootstrapEpochs < 0 || bootstrapInteractions < 1 || firstModelInteractions < 0 || !(retrainGrowth > 0) || headMinInteractions < 1
                || headSample < 1 || headEpochs < 1 || snapshotDeltas < 1 || rollbackMargin < 0 || evalNegatives < 1
                || minInteractions < 3 || workers < 1 || fastDelay.isNegative() || headInterval.isNegative()
                || retrainIdle.isNegative() || retrainInterval.isNegative() || snapshotInterval.isNegative()) {
            throw new IllegalArgumentException("updater settings out of range: " + this);
        }
    }

    public static UpdaterSettings defaults() {
        return new UpdaterSettings(Choice.AUTO, TrainingSettings.defaults(), 5, 20_000, 300, 0.25, Duration.ofSeconds(10),
                Duration.ofMinutes(30), Duration.ofMillis(200), Duration.ofSeconds(30), 200, 20_000, 1,
                Duration.ofSeconds(60), 300, RowFitter.Options.streaming(), 0.02, 99, 7, 2, true, 42);
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
        return new UpdaterSettings(method, t, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withMethod(String m) {
        return new UpdaterSettings(m, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withBootstrap(long interactions, int epochs) {
        return new UpdaterSettings(method, training, epochs, interactions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withFirstModel(int interactions) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, interactions, retrainGrowth,
                retrainIdle, retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs,
                snapshotInterval, snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references,
                seed);
    }

    public UpdaterSettings withRetrain(double growth, Duration idle, Duration interval) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, growth, idle,
                interval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withFastDelay(Duration d) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, d, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withHead(Duration interval, int minInteractions, int sample, int epochs) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, interval, minInteractions, sample, epochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, this.minInteractions, workers, references, seed);
    }

    public UpdaterSettings withSnapshots(Duration interval, int deltas) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, interval,
                deltas, rowFit, rollbackMargin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withRollbackMargin(double margin) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, margin, evalNegatives, minInteractions, workers, references, seed);
    }

    public UpdaterSettings withWorkers(int n, boolean refs) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, minInteractions, n, refs, seed);
    }

    public UpdaterSettings withMinInteractions(int n) {
        return new UpdaterSettings(method, training, bootstrapEpochs, bootstrapInteractions, firstModelInteractions, retrainGrowth, retrainIdle,
                retrainInterval, fastDelay, headInterval, headMinInteractions, headSample, headEpochs, snapshotInterval,
                snapshotDeltas, rowFit, rollbackMargin, evalNegatives, n, workers, references, seed);
    }
}
