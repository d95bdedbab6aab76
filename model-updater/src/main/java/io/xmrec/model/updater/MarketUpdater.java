package io.xmrec.model.updater;

import com.fasterxml.jackson.databind.JsonNode;
import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.model.MarketModels;
import io.xmrec.model.NcfModel;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.model.recipe.Recipes;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TensorRows;
import io.xmrec.serving.HoldoutEvaluation;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.RowFitter;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** Item rows sold in the market and their training interactions (under the lock). */
    final TreeMap<Integer, Integer> catalogue = new TreeMap<>();
    /** What each item's row was last fitted on, and the fits themselves. */
    private final ItemFits itemFits = new ItemFits();
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
    /** Whether the working model is a first model (trained before any trunk had one for this market). */
    private volatile boolean firstModel;
    /** Eligible training interactions of the last first-model attempt (a failed one is tried again at twice as many). */
    volatile long firstModelTriedAt;
    /** When the poll thread last counted whether a first model is due (poll thread only). */
    long firstModelCheckedNanos = Long.MIN_VALUE / 2;

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
        adoptRecipe(published);
        model = MarketModels.trainable(published, recipe, s.training());
        version = published.version();
        trunkVersion = published.trunkVersion();
        trainedThrough = new TreeMap<>(published.meta().trainedThrough());
        watermark = published.meta().watermarkMillis();
        lastValid = published.meta().validationNdcg10();
        deltaOffsets = published.meta().deltaOffsets();
        catalogue.clear();
        int[] cat = published.catalogue();
        int[] pop = published.popularity();
        for (int k = 0; k < cat.length; k++) {
            catalogue.put(cat[k], pop[k]);
        }
        itemFits.fittedOn(catalogue, model.items());
    }

    /** Whether an item's row is due a re-fit by the fast path ({@link ItemFits#due}). */
    boolean itemDue(String item, int interactions) {
        return itemFits.due(item, interactions);
    }

    /** The market's model as served now (a copy of the working model). */
    synchronized ServedModel served(Double valid) {
        return served(model, catalogue(), popularity(), valid);
    }

    /** The catalogue's item rows, ascending (under the lock). */
    int[] catalogue() {
        return catalogue.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    /** The catalogue's training interactions, aligned with {@link #catalogue()} (under the lock). */
    int[] popularity() {
        return catalogue.values().stream().mapToInt(Integer::intValue).toArray();
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
        return UpdaterProvenance.ofMarket(provenanceBase, trunkVersion, recipe.method(), choice, firstModel);
    }

    /**
     * The recipe (and choice) a model was made with, from its provenance; the trunk's recipe when it
     * names none or one this version does not know.
     */
    private void adoptRecipe(ServedModel m) {
        JsonNode p = m.meta().provenanceJson();
        String method = p.path("recipe").asText(s.trunkMethod());
        try {
            recipe = Recipes.get(method);
        } catch (IllegalArgumentException e) { // a recipe this version does not know: fine-tune as the trunk's
            log.accept("updater: " + market + "'s model names recipe " + method + ", unknown here: tuned as "
                    + s.trunkMethod());
            recipe = Recipes.get(s.trunkMethod());
        }
        choice = p.hasNonNull("choice") ? p.get("choice") : null;
        firstModel = p.hasNonNull("first_model");
    }

    /**
     * A new trunk's model of this market becomes the working model and is published as a snapshot;
     * the catalogue and popularity come from everything read of the market.
     */
    synchronized Done install(ServedModel fork, long trunk, Map<String, Long> offsets, Long wm, Map<String, Integer> popularity,
                 List<String> sold, List<HoldoutEvaluation.UserHoldout> holdouts, String[] pool) {
        long t0 = System.nanoTime();
        adoptRecipe(fork);
        model = MarketModels.trainable(fork, recipe, s.training());
        trunkVersion = trunk;
        trainedThrough = new TreeMap<>(offsets);
        watermark = wm;
        catalogue.clear();
        addToCatalogue(sold, popularity, null);
        itemFits.fittedOn(catalogue, model.items());
        version++;
        ServedModel now = served(null);
        Double valid = holdouts.isEmpty() ? null : evaluation.evaluate(now, pool, holdouts).valid().ndcg();
        now = served(valid);
        lastValid = valid;
        int bytes = publishSnapshot(now);
        double secs = (System.nanoTime() - t0) / 1e9;
        log.accept(String.format("updater: %s v%d from trunk v%d: %d users, %d items sold, valid nDCG@10 %s on the %d "
                        + "holdouts read so far (a seeded sample above %d; %,d bytes)", market, version, trunk,
                now.users().size(), now.catalogue().length, fmt(valid), holdouts.size(), s.validationUsers(), bytes));
        return new Done(version, bytes, now.users().size(), 0, secs, valid, null, false);
    }

    private void addToCatalogue(List<String> sold, Map<String, Integer> popularity, Map<Integer, Integer> added) {
        IdVocabulary items = model.items();
        for (String item : sold) {
            int row = items.indexOf(item);
            if (row >= 0 && !catalogue.containsKey(row)) {
                catalogue.put(row, 0);
                if (added != null) {
                    added.merge(row, 0, Integer::sum);
                }
            }
        }
        popularity.forEach((item, n) -> {
            int row = items.indexOf(item);
            if (row >= 0) {
                catalogue.merge(row, n, Integer::sum);
                if (added != null) {
                    added.merge(row, n, Integer::sum);
                }
            }
        });
    }

    /**
     * The fast path: items new to the model are folded in (from the average item, on their buyers) and
     * items due a re-fit re-fitted from their rows, each against as many negatives as training gives an
     * item ({@link RowFitter#negativesPerItem}); new users folded in and known users re-fitted from their
     * current rows on all their training items, with the rest of the network fixed; the changed rows go
     * out as one delta.
     */
    synchronized Done refreshRows(RowJob job) {
        long t0 = System.nanoTime();
        RowFitter fitter = new RowFitter(s.rowFit());
        // 1. append the new users (average rows for now) and the new items, so every id has a row
        List<String> newUsers = new ArrayList<>();
        for (String u : job.users().keySet()) {
            if (model.users().indexOf(CrossMarketDataset.userKey(market, u)) < 0) {
                newUsers.add(u);
            }
        }
        List<String> newItems = new ArrayList<>();
        for (String i : job.items().keySet()) {
            if (model.items().indexOf(i) < 0) {
                newItems.add(i);
            }
        }
        int oldUsers = model.users().size();
        int oldItems = model.items().size();
        if (!newUsers.isEmpty() || !newItems.isEmpty()) {
            RowFitter.Rows avgUser = RowFitter.averageUser(model.net());
            RowFitter.Rows avgItem = RowFitter.averageItem(model.net());
            IdVocabulary users = model.users().appended(newUsers.stream().map(u -> CrossMarketDataset.userKey(market, u)).toList());
            IdVocabulary items = model.items().appended(newItems);
            Net grown = model.net().withRows(users.size(), items.size());
            for (int k = 0; k < newUsers.size(); k++) {
                avgUser.writeUser(grown, oldUsers + k);
            }
            for (int k = 0; k < newItems.size(); k++) {
                avgItem.writeItem(grown, oldItems + k);
            }
            model = model.withRows(users, items, grown);
        }
        Map<Integer, Integer> soldAdded = new TreeMap<>();
        addToCatalogue(job.sold(), job.popularity(), soldAdded);
        int[] pool = catalogue();
        int[] userPool = new int[model.users().size()];
        for (int k = 0; k < userPool.length; k++) {
            userPool[k] = k;
        }
        // 2. fold the new items in on their buyers (those due a re-fit have rows to start from)
        List<String> items = new ArrayList<>(job.items().keySet());
        // counted only when an item is fitted: most jobs fit none, and the sum walks the catalogue
        int perItem = items.isEmpty() ? 0
                : fitter.negativesPerItem(catalogue.values().stream().mapToLong(Integer::longValue).sum(), pool.length);
        if (!newItems.isEmpty()) {
            itemFits.fit(model, market, fitter, newItems, job.items(), userPool, perItem);
        }
        // 3. fold in / re-fit the users on all their training items
        List<String> ids = new ArrayList<>(job.users().keySet());
        int[][] positives = new int[ids.size()][];
        int[] rows = new int[ids.size()];
        List<RowFitter.Rows> start = new ArrayList<>();
        for (int k = 0; k < ids.size(); k++) {
            rows[k] = model.users().indexOf(CrossMarketDataset.userKey(market, ids.get(k)));
            positives[k] = job.users().get(ids.get(k)).stream().mapToInt(i -> model.items().indexOf(i)).filter(i -> i >= 0)
                    .toArray();
            start.add(RowFitter.userRows(model.net(), rows[k]));
        }
        List<RowFitter.Rows> fitted = fitter.fitUsers(model.net(), positives, pool, start, ids);
        for (int k = 0; k < ids.size(); k++) {
            fitted.get(k).writeUser(model.net(), rows[k]);
        }
        // 4. the items once more, now that their new buyers have rows of their own
        if (!items.isEmpty()) {
            itemFits.fit(model, market, fitter, items, job.items(), userPool, perItem);
        }
        // the delta: every row that changed, the vocabularies' new ids, the catalogue's growth
        int[] userRows = Arrays.stream(rows).sorted().distinct().toArray();
        int[] itemRows = items.stream().mapToInt(i -> model.items().indexOf(i)).sorted().toArray();
        List<TensorRows> tensors = ModelRecords.tableRows(model.net(), userRows, itemRows);
        List<Integer> soldNew = new ArrayList<>();
        List<Integer> popItems = new ArrayList<>();
        List<Integer> popCounts = new ArrayList<>();
        soldAdded.forEach((row, n) -> {
            popItems.add(row);
            popCounts.add(n);
        });
        for (Integer row : soldAdded.keySet()) {
            soldNew.add(row);
        }
        if (ids.isEmpty() && items.isEmpty() && soldAdded.isEmpty()) {
            return new Done(version, 0, 0, 0, (System.nanoTime() - t0) / 1e9, null, null, true); // nothing new
        }
        trainedThrough = merge(trainedThrough, job.through());
        watermark = max(watermark, job.watermark());
        ModelDelta d = ModelDelta.newBuilder().setMarket(market).setVersion(version + 1).setBaseVersion(version)
                .setTrunkVersion(trunkVersion).setKind("rows").setNewUsers(newUsers).setNewItems(newItems)
                .setTensors(tensors).setCatalogue(soldNew).setPopularityItems(popItems).setPopularityCounts(popCounts)
                .setTrainedThrough(new LinkedHashMap<>(trainedThrough))
                .setWatermark(watermark == null ? null : Instant.ofEpochMilli(watermark))
                .setCreatedAt(Instant.now()).build();
        Publisher.Sent sent = channel.delta(d);
        version++;
        deltaPublished(sent);
        newSinceHead += job.promotedMillis().length;
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Done(version, sent.bytes(), ids.size(), newItems.size(), secs, null, null, false);
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
