package io.xmrec.model.updater;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.model.NcfModel;
import io.xmrec.model.NcfOptions;
import io.xmrec.model.NcfTrainer;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.TensorRows;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One medium-path job of a market in its phases: {@link MarketUpdater#startHead} copies the working model
 * under the market's lock; {@link #train} fine-tunes the copy's market-owned tensors and checks them on
 * validation without the lock, so the fast path goes on meanwhile (it changes rows, this the head);
 * {@link #commit} takes the lock again, copies the head into the working model and publishes it as a
 * delta, unless the rollback guard refused it (validation nDCG@10 more than the margin below the model it
 * was copied from) or the market moved to another trunk or recipe while it trained.
 */
final class HeadTuning {

    private final MarketUpdater mu;
    private final MarketUpdater.HeadJob job;
    private final long t0 = System.nanoTime();
    private final NcfModel candidate;
    private final long startTrunk;
    private final Recipe startRecipe;
    private final List<String> keys = new ArrayList<>();
    private final List<int[]> items = new ArrayList<>();
    private int[] pool;
    private int[] popularity;
    private ServedModel current;
    private double before;
    private double after;
    /** The outcome once known without a commit (nothing to train on, refused by the guard). */
    private MarketUpdater.Done done;

    /** Under the market's lock ({@link MarketUpdater#startHead}). */
    HeadTuning(MarketUpdater mu, MarketUpdater.HeadJob job) {
        this.mu = mu;
        this.job = job;
        candidate = mu.model.copy();
        startTrunk = mu.trunkVersion;
        startRecipe = mu.recipe;
        job.sample().forEach((u, list) -> {
            int[] rows = list.stream().mapToInt(i -> candidate.items().indexOf(i)).filter(i -> i >= 0).toArray();
            String key = CrossMarketDataset.userKey(mu.market, u);
            if (rows.length > 0 && candidate.users().indexOf(key) >= 0) {
                keys.add(key);
                items.add(rows);
            }
        });
        mu.lastHeadNanos = System.nanoTime();
        mu.newSinceHead = 0;
        if (keys.isEmpty()) {
            done = new MarketUpdater.Done(mu.version, 0, 0, 0, 0, null, null, true);
            return;
        }
        pool = mu.catalogue();
        popularity = mu.popularity();
        current = mu.served(mu.lastValid);
    }

    /** Fine-tunes the copy and measures it against the model it was copied from (no lock held). */
    HeadTuning train() {
        if (done != null) {
            return this;
        }
        UpdaterSettings s = mu.s;
        CrossMarketDataset data = CrossMarketDataset.trainingOnly(mu.market, keys, items, pool, candidate.users(),
                candidate.items());
        NcfOptions o = s.training().ncf().withEpochs(s.headEpochs()).withBatchSize(s.training().forec().batchSize())
                .withSeed(s.seed() + current.version());
        // a mean stays two networks averaged (at its scoring cost): its zero blocks are held at zero
        new NcfTrainer(o, null).keepingZeroWeights(startRecipe.blockDiagonal()).train(candidate, data);
        before = mu.evaluation.evaluate(current, job.pool(), job.holdouts()).valid().ndcg();
        after = mu.evaluation.evaluate(mu.served(candidate, pool, popularity, null), job.pool(), job.holdouts())
                .valid().ndcg();
        if (after < before - s.rollbackMargin()) {
            mu.log.accept(String.format("updater: %s head refused: valid nDCG@10 %.4f against the current %.4f on the %d "
                    + "holdouts read so far (a seeded sample above %d; margin %.2f)", mu.market, after, before,
                    job.holdouts().size(), s.validationUsers(),
                    s.rollbackMargin()));
            done = new MarketUpdater.Done(mu.version, 0, keys.size(), 0, seconds(), after, before, true);
        }
        return this;
    }

    /** The trained head into the working model and out as a delta (under the lock), or the outcome already known. */
    MarketUpdater.Done commit() {
        if (done != null) {
            return done;
        }
        synchronized (mu) {
            if (mu.trunkVersion != startTrunk || mu.recipe != startRecipe
                    || !mu.model.net().shape().equals(candidate.net().shape())) {
                mu.log.accept(String.format("updater: %s head dropped: the market moved to trunk v%d (recipe %s) while "
                        + "it trained", mu.market, mu.trunkVersion, mu.recipe.method()));
                return new MarketUpdater.Done(mu.version, 0, keys.size(), 0, seconds(), null, null, true);
            }
            List<TensorRows> tensors = new ArrayList<>();
            Map<String, float[]> previous = new LinkedHashMap<>();
            for (String t : mu.recipe.marketTensors(candidate.net().shape())) {
                float[] into = mu.model.net().get(t);
                previous.put(t, into.clone());
                System.arraycopy(candidate.net().get(t), 0, into, 0, into.length);
                tensors.add(ModelRecords.whole(t, into));
            }
            Map<String, Long> through = MarketUpdater.merge(mu.trainedThrough, job.through());
            Long wm = MarketUpdater.max(mu.watermark, job.watermark());
            ModelDelta d = ModelDelta.newBuilder().setMarket(mu.market).setVersion(mu.version + 1)
                    .setBaseVersion(mu.version).setTrunkVersion(mu.trunkVersion).setKind("head").setTensors(tensors)
                    .setTrainedThrough(new LinkedHashMap<>(through))
                    .setWatermark(wm == null ? null : Instant.ofEpochMilli(wm))
                    .setValidationNdcg10(after).setCreatedAt(Instant.now()).build();
            Publisher.Sent sent;
            try {
                sent = mu.channel.delta(d);
            } catch (RuntimeException e) {
                previous.forEach((t, v) -> System.arraycopy(v, 0, mu.model.net().get(t), 0, v.length));
                throw e;
            }
            mu.trainedThrough = through;
            mu.watermark = wm;
            mu.version++;
            mu.lastValid = after;
            mu.deltaPublished(sent);
            mu.log.accept(String.format("updater: %s v%d head fine-tuned on %d users: valid nDCG@10 %.4f (was %.4f) on "
                    + "the %d holdouts read so far (a seeded sample above %d), in %.1fs", mu.market, mu.version,
                    keys.size(), after, before, job.holdouts().size(), mu.s.validationUsers(), seconds()));
            return new MarketUpdater.Done(mu.version, sent.bytes(), keys.size(), 0, seconds(), after, before, false);
        }
    }

    /** The trained copy (tests compare the working model's head with it). */
    NcfModel candidate() {
        return candidate;
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }
}
