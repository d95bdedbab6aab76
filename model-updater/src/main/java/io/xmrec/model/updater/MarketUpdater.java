package io.xmrec.model.updater;

import com.fasterxml.jackson.databind.JsonNode;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Choice;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TensorRows;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One market this updater owns: its working model and what has been published of it. Its jobs
 * (install a fork, the fast path's row re-fits, the medium path's head fine-tuning, a snapshot)
 * run one at a time on a worker, each publishing what it changed: a snapshot on
 * {@code xmrec.models}, or a delta on {@code xmrec.model-deltas}. The working model's user rows
 * are the market's own users in the order the served model has them, so a row number means the
 * same in both.
 */
final class MarketUpdater {


    /**
     * What a fast-path job re-fits: users with their training items, items with their buyers (new to the
     * model, or due a re-fit: {@link #itemDue}).
     */
    record RowJob(Map<String, List<String>> users, Map<String, List<String>> items, List<String> sold,
                  Map<String, Integer> popularity, Map<String, Long> through, Long watermark, long[] promotedMillis) {
    }

    /** What a medium-path job fine-tunes on and evaluates on. */
    record HeadJob(Map<String, List<String>> sample, List<HoldoutEvaluation.UserHoldout> holdouts, String[] pool,
                   Map<String, Long> through, Long watermark) {
    }

    /** The outcome of a job, for the stats and the reports. */
    record Done(long version, int bytes, int users, int items, double seconds, Double validNdcg, Double previousNdcg,
                boolean refused) {
    }

    final String market;
    final UpdaterSettings s;
    final Publisher.Channel channel;
    final Consumer<String> log;
    private final String provenanceBase;
    final HoldoutEvaluation evaluation;

    // changed by the market's jobs under this object's lock: the fast path, installs and snapshots one at a time
    // (MarketJobs runs one of them per market at a time), the medium path's training beside them (it takes the
    // lock to start and to commit, not while it trains); read by the poll thread between jobs
    volatile NcfModel model;
    volatile long version;
    volatile long trunkVersion;
    volatile Map<String, Long> trainedThrough = Map.of();
    volatile Long watermark;
    /** The catalogue beside the working model and what its item rows were fitted on (under the lock). */
    private MarketRows rows = new MarketRows();
    /** A trunk's fork made ready by {@link #prepare} on the medium path's worker, waiting to be installed. */
    volatile Prepared prepared;
    /**
     * The newest trunk whose fork the install guard kept out (it validated below the model served by more than
     * the rollback margin): not prepared again; the next trunk's fork is. Not published: a new owner of the market
     * measures that fork again.
     */
    volatile long keptOutTrunk;
    private Map<String, Long> deltaOffsets = Map.of();
    volatile int deltasSinceSnapshot;
    /** Bytes of the deltas since the last snapshot, and of that snapshot: a new snapshot once the first reach the second. */
    volatile long deltaBytesSinceSnapshot;
    volatile long lastSnapshotBytes;
    volatile long lastSnapshotNanos = System.nanoTime();
    volatile long lastHeadNanos = System.nanoTime();
    volatile long newSinceHead;
    volatile boolean busy;
    /** A medium-path job is training this market's head (beside the fast path, which it does not hold up). */
    volatile boolean tuning;
    volatile Double lastValid;
    // the recipe the market is served with (the trunk's choice for it under auto) and that choice
    volatile Recipe recipe;
    private volatile JsonNode choice;
    /** Whether the working model is the market's own (a first model, or one the medium path retrained): null if a trunk's. */
    private volatile UpdaterProvenance.Own own;
    /**
     * The market's own model as it was trained, before the fast path re-fitted and folded rows into it: what its next
     * retrain continues from ({@link #ownToContinue}); null while a trunk's fork or a taken-over model is served.
     */
    private volatile ServedModel ownAsTrained;
    /**
     * Eligible training interactions when the market's own model was last trained or tried (a first model that
     * failed is tried again at twice as many; the medium path retrains it once they grew by the refresh share).
     */
    volatile long ownModelAt;
    /** When the poll thread last counted whether an own model is due (poll thread only). */
    long ownModelCheckedNanos = Long.MIN_VALUE / 2;

    MarketUpdater(String market, UpdaterSettings s, Publisher.Channel channel, String provenanceBase,
                  Consumer<String> log) {
        this.market = market;
        this.s = s;
        this.recipe = Recipes.get(s.trunkMethod());
        this.channel = channel;
        this.provenanceBase = provenanceBase;
        this.log = log;
        this.evaluation = new HoldoutEvaluation(s.seed(), s.evalNegatives());
    }

    Publisher.Channel channel() {
        return channel;
    }

    /** Continues from what was published (a restart or a take-over): versions go on from there. */
    synchronized void takeOver(ServedModel published) {
        adoptRecipe(published, recipeOf(published));
        ownAsTrained = null;
        model = MarketModels.trainable(published, recipe, s.training());
        version = published.version();
        trunkVersion = published.trunkVersion();
        trainedThrough = new TreeMap<>(published.meta().trainedThrough());
        watermark = published.meta().watermarkMillis();
        lastValid = published.meta().validationNdcg10();
        deltaOffsets = published.meta().deltaOffsets();
        rows.reset(model, published.catalogue(), published.popularity());
    }

    /** Whether an item's row is due a re-fit by the fast path ({@link ItemFits#due}). */
    boolean itemDue(String item, int interactions) {
        return rows.itemDue(item, interactions);
    }

    /**
     * The market's own model as it was trained (not the working model: rows the fast path re-fits start from the
     * average row, a worse start for training than the trained ones), to retrain the next one from
     * ({@link TrunkTrainer#continueOwn}): when the market is served its own model of the baseline recipe with the
     * widths a retrain would give it; else null (a trunk's fork, or a model an earlier owner published: retrained
     * from scratch). Reads volatile fields only: the copy is made outside the market's lock.
     */
    NcfModel ownToContinue() {
        ServedModel trained = ownAsTrained;
        if (own == null || trained == null || !recipe.method().equals(Choice.BASELINE)) {
            return null;
        }
        // the network the retrain would build: a model of another width (settings changed since) starts from scratch;
        // checked before the copy, which costs the whole model
        boolean same = trained.net().shape().equals(io.xmrec.model.NcfArchitecture.NMF.shape(s.training().ncf()));
        return same ? MarketModels.trainable(trained, recipe, s.training()) : null;
    }

    /** The market's model as served now (a copy of the working model). */
    synchronized ServedModel served(Double valid) {
        return served(model, catalogue(), popularity(), valid);
    }

    /** The catalogue's item rows, ascending (under the lock). */
    int[] catalogue() {
        return rows.catalogue();
    }

    /** The catalogue's training interactions, aligned with {@link #catalogue()} (under the lock). */
    int[] popularity() {
        return rows.popularity();
    }

    /**
     * A model of this market as it would be served (a copy) with a catalogue of its own: the medium path
     * serves its trained copy with the catalogue the copy was taken with, since the fast path may have
     * added items the copy has no rows for.
     */
    ServedModel served(NcfModel m, int[] cat, int[] pop, Double valid) {
        ModelMeta meta = ModelMeta.builder(market, version, trunkVersion).trainedThrough(trainedThrough)
                .watermarkMillis(watermark).validation(valid, null).createdAtMillis(System.currentTimeMillis())
                .provenance(provenance()).deltaOffsets(deltaOffsets).build();
        return MarketModels.served(market, m, meta, cat, pop);
    }

    /** This updater's provenance with the market's trunk version, recipe and choice. */
    private String provenance() {
        return UpdaterProvenance.ofMarket(provenanceBase, trunkVersion, recipe.method(), choice, own);
    }

    /** The recipe a model was made with ({@link #recipeOf}) and the choice its provenance records, for the working model. */
    private void adoptRecipe(ServedModel m, Recipe made) {
        recipe = made;
        JsonNode p = m.meta().provenanceJson();
        choice = p.hasNonNull("choice") ? p.get("choice") : null;
        own = UpdaterProvenance.Own.of(p);
    }

    /** The recipe a model was made with, from its provenance; the trunk's when it names none or one this version does not know. */
    private Recipe recipeOf(ServedModel m) {
        String method = m.meta().provenanceJson().path("recipe").asText(s.trunkMethod());
        try {
            return Recipes.get(method);
        } catch (IllegalArgumentException e) { // a recipe this version does not know: fine-tune as the trunk's
            log.accept("updater: " + market + "'s model names recipe " + method + ", unknown here: tuned as "
                    + s.trunkMethod());
            return Recipes.get(s.trunkMethod());
        }
    }

    /**
     * What a new model is measured on and against: the holdouts read so far, the market's items (where negatives
     * come from) and the market's model as served when the holdouts were read (a copy; null when there is none to
     * compare with). The working model goes on re-fitting rows while the new one is made, and a user's validation
     * item of then may be in training by the time the two are compared, so the comparison reads the copy.
     */
    record Measure(List<HoldoutEvaluation.UserHoldout> holdouts, String[] pool, ServedModel served) {
    }

    /** What an install folds into a new model before it is served, as read when it was prepared, and how it is measured. */
    record InstallJob(Map<String, List<String>> users, Map<String, List<String>> items, List<String> sold,
                      Map<String, Integer> popularity, Map<String, Long> through, Long watermark, Measure measure) {
        List<HoldoutEvaluation.UserHoldout> holdouts() {
            return measure.holdouts();
        }

        String[] pool() {
            return measure.pool();
        }
    }

    /** A new model made ready to serve: everything read when it was prepared folded in, its validation figure. */
    record Prepared(ServedModel from, Recipe recipe, NcfModel model, MarketRows rows, InstallJob job, Double valid,
                    double seconds) {
        Map<String, Long> through() {
            return job.through();
        }
    }

    /**
     * Makes a new model of this market (a trunk's fork, or a first model) ready to serve, without the lock and
     * without touching the working model, so the fast path goes on serving the old one meanwhile: the users
     * and items of {@code job} (everything read since the model's data) are folded in, and the result measured
     * on the holdouts read so far. {@link #install} then swaps it in.
     */
    Prepared prepare(ServedModel from, InstallJob job) {
        return prepare(from, job, System.nanoTime());
    }

    /** {@link #prepare(ServedModel, InstallJob)} of a model whose making began at {@code t0} (its seconds count from there). */
    Prepared prepare(ServedModel from, InstallJob job, long t0) {
        Recipe made = recipeOf(from);
        NcfModel m = MarketModels.trainable(from, made, s.training());
        MarketRows fresh = new MarketRows();
        fresh.reset(m, job.sold(), job.popularity());
        if (!job.users().isEmpty() || !job.items().isEmpty()) {
            // items new since the model's data join the catalogue once they have rows, with their popularity
            NcfModel before = m;
            Map<String, Integer> later = new java.util.HashMap<>();
            job.popularity().forEach((i, n) -> {
                if (before.items().indexOf(i) < 0) {
                    later.put(i, n);
                }
            });
            m = fresh.fold(m, market, s.rowFit(), job.users(), job.items(), job.sold(), later).model();
        }
        Double valid = null;
        if (!job.holdouts().isEmpty()) {
            ModelMeta meta = ModelMeta.builder(market, 0, from.trunkVersion()).build();
            valid = evaluation.evaluate(MarketModels.served(market, m, meta, fresh.catalogue(), fresh.popularity()),
                    job.pool(), job.holdouts()).valid().ndcg();
        }
        return new Prepared(from, made, m, fresh, job, valid, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Validation nDCG@10 of the model served when {@code job}'s holdouts were read, on those holdouts (null without
     * either). Measured on the copy taken then, not on the working model: since then the fast path may have trained
     * on items that were validation items then, and a model measured on what it trained on looks better than it is.
     */
    Double validThen(InstallJob job) {
        Measure m = job.measure();
        if (m.served() == null || m.holdouts().isEmpty()) {
            return null;
        }
        return evaluation.evaluate(m.served(), m.pool(), m.holdouts()).valid().ndcg();
    }

    /** A prepared model becomes the working model and is published as a snapshot. */
    synchronized Done install(Prepared p) {
        long t0 = System.nanoTime();
        adoptRecipe(p.from(), p.recipe());
        ownAsTrained = own != null ? p.from() : null;
        model = p.model();
        rows = p.rows();
        trunkVersion = p.from().trunkVersion();
        trainedThrough = new TreeMap<>(p.through());
        watermark = p.job().watermark();
        version++;
        ServedModel now = served(p.valid());
        lastValid = p.valid();
        int bytes = publishSnapshot(now);
        double secs = p.seconds() + (System.nanoTime() - t0) / 1e9;
        String origin = own == UpdaterProvenance.Own.RETRAINED ? "its own model retrained (trunk v" + trunkVersion + ")"
                : "trunk v" + trunkVersion;
        log.accept(String.format("updater: %s v%d from %s: %d users (%d folded in since its data), %d items sold, "
                        + "valid nDCG@10 %s on the %d holdouts read so far (a seeded sample above %d; %,d bytes)", market,
                version, origin, now.users().size(), p.job().users().size(), now.catalogue().length, fmt(p.valid()),
                p.job().holdouts().size(), s.validationUsers(), bytes));
        return new Done(version, bytes, now.users().size(), 0, secs, p.valid(), null, false);
    }

    /**
     * The fast path: the job's users and items folded into the working model ({@link MarketRows#fold}),
     * the changed rows out as one delta.
     */
    synchronized Done refreshRows(RowJob job) {
        long t0 = System.nanoTime();
        MarketRows.Fitted f = rows.fold(model, market, s.rowFit(), job.users(), job.items(), job.sold(), job.popularity());
        model = f.model();
        if (f.nothing()) {
            return new Done(version, 0, 0, 0, (System.nanoTime() - t0) / 1e9, null, null, true); // nothing new
        }
        // the delta: every row that changed, the vocabularies' new ids, the catalogue's growth
        List<TensorRows> tensors = ModelRecords.tableRows(model.net(), f.userRows(), f.itemRows());
        List<Integer> soldNew = new ArrayList<>(f.soldAdded().keySet());
        List<Integer> popCounts = new ArrayList<>(f.soldAdded().values());
        trainedThrough = merge(trainedThrough, job.through());
        watermark = max(watermark, job.watermark());
        ModelDelta d = ModelDelta.newBuilder().setMarket(market).setVersion(version + 1).setBaseVersion(version)
                .setTrunkVersion(trunkVersion).setKind("rows").setNewUsers(f.newUsers()).setNewItems(f.newItems())
                .setTensors(tensors).setCatalogue(soldNew).setPopularityItems(soldNew).setPopularityCounts(popCounts)
                .setTrainedThrough(new LinkedHashMap<>(trainedThrough))
                .setWatermark(watermark == null ? null : Instant.ofEpochMilli(watermark))
                .setCreatedAt(Instant.now()).build();
        Publisher.Sent sent = channel.delta(d);
        version++;
        deltaPublished(sent);
        newSinceHead += job.promotedMillis().length;
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Done(version, sent.bytes(), job.users().size(), f.newItems().size(), secs, null, null, false);
    }

    /**
     * The medium path: the market-owned tensors fine-tuned on a sample of all the market's users'
     * training interactions (fresh training negatives), published as a delta unless the rollback
     * guard refuses it: validation nDCG@10 on every eligible user's current holdout more than the
     * margin below the current model's. It trains a copy without holding the market's lock, so the fast
     * path goes on meanwhile (the two change disjoint tensors: rows there, the head here); on success the
     * trained tensors are copied into the working model and published, unless a trunk was installed or
     * the recipe changed meanwhile (the head then belongs to a model no longer served: dropped).
     */
    Done tuneHead(HeadJob job) {
        return startHead(job).train().commit();
    }

    /** The medium path's first phase, under the lock: a copy of the working model and what it trains on. */
    synchronized HeadTuning startHead(HeadJob job) {
        return new HeadTuning(this, job);
    }

    /** A full snapshot of the current model, so new clients start close to now. */
    synchronized Done snapshot() {
        long t0 = System.nanoTime();
        version++;
        ServedModel now = served(lastValid);
        int bytes = publishSnapshot(now);
        return new Done(version, bytes, now.users().size(), 0, (System.nanoTime() - t0) / 1e9, lastValid,
                null, false);
    }

    private int publishSnapshot(ServedModel m) {
        ModelRecord r = ModelRecords.record(m, io.xmrec.model.NcfArchitecture.of(m.net().shape()).label());
        try {
            int bytes = channel.snapshot(r).bytes();
            deltasSinceSnapshot = 0;
            deltaBytesSinceSnapshot = 0;
            lastSnapshotBytes = bytes;
            lastSnapshotNanos = System.nanoTime();
            return bytes;
        } catch (RuntimeException e) {
            version--;
            throw e;
        }
    }

    void deltaPublished(Publisher.Sent sent) {
        deltasSinceSnapshot++;
        deltaBytesSinceSnapshot += sent.bytes();
        deltaOffsets = Map.of(Integer.toString(sent.partition()), sent.offset() + 1);
    }

    /**
     * A snapshot is due once the deltas since the last one add up to its size (a new client then reads at
     * most twice a snapshot's bytes, and what is published stays at most twice the deltas), or there are
     * {@code snapshotDeltas} of them (records to replay), or {@code snapshotInterval} has passed.
     */
    boolean snapshotDue(long now) {
        return model != null && deltasSinceSnapshot > 0 && (deltaBytesSinceSnapshot >= lastSnapshotBytes
                || deltasSinceSnapshot >= s.snapshotDeltas() || now - lastSnapshotNanos >= s.snapshotInterval().toNanos());
    }

    boolean headDue(long now) {
        return model != null && newSinceHead >= s.headMinInteractions() && now - lastHeadNanos >= s.headInterval().toNanos();
    }

    static Map<String, Long> merge(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> out = new TreeMap<>(a);
        b.forEach((k, v) -> out.merge(k, v, Math::max));
        return out;
    }

    static Long max(Long a, Long b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.max(a, b));
    }

    static String fmt(Double d) {
        return d == null ? "-" : String.format("%.4f", d);
    }
}
