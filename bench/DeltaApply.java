// What a reader (a serving replica, the evaluator, a new client) pays to apply the fast path's deltas, against the
// model's size: each delta applied alone (a new model with every table it touches copied) against chains of deltas
// applied together (each table copied once per chain), as ModelClient does with the deltas of one poll.
//   java -cp app/target/xmrec.jar bench/DeltaApply.java SCALES DELTAS
// SCALES: comma-separated user and item multiples of XMarket ca (4,668 users, 5,735 items); DELTAS: deltas per run.
// Each delta as the fast path makes them at 10 days/s: 5 users' rows re-fitted, one user new, every third an item new,
// a catalogue and popularity change. NMF at the updater's dimensions (GMF 16, MLP 16, layers 32-64-32-16, item bias).
// Prints one JSON line per scale: ms per delta alone, in chains of 10, and all in one chain (a client catching up).
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.TensorRows;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ServedModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

public class DeltaApply {

    static final NetShape SHAPE = NetShape.nmf(16, 16, List.of(32, 64, 32, 16)).withItemBias(true);

    public static void main(String[] args) {
        int deltas = Integer.parseInt(args[1]);
        for (String scale : args[0].split(",")) {
            int f = Integer.parseInt(scale.trim());
            ServedModel base = model(4_668 * f, 5_735 * f);
            List<ModelDelta> chain = deltas(base, deltas, 42);
            long bytes = 0;
            for (int k = 0; k < base.net().tensors(); k++) {
                bytes += base.net().values(k).length * 4L;
            }
            // warm-up on a short chain, then each way twice, the faster of the two
            run(base, chain.subList(0, Math.min(50, deltas)), 1);
            double alone = Math.min(run(base, chain, 1), run(base, chain, 1));
            double tens = Math.min(run(base, chain, 10), run(base, chain, 10));
            double all = Math.min(run(base, chain, deltas), run(base, chain, deltas));
            System.out.printf("{\"scale\": %d, \"users\": %d, \"items\": %d, \"model_mb\": %.1f, \"deltas\": %d, "
                            + "\"ms_per_delta_alone\": %.3f, \"ms_per_delta_chains_of_10\": %.3f, \"ms_per_delta_one_chain\": %.3f}%n",
                    f, base.users().size(), base.items().size(), bytes / 1048576.0, deltas, alone, tens, all);
        }
    }

    /** Milliseconds per delta applying {@code chain} in chains of {@code per}. */
    static double run(ServedModel base, List<ModelDelta> chain, int per) {
        long t0 = System.nanoTime();
        ServedModel m = base;
        for (int k = 0; k < chain.size(); k += per) {
            List<ModelDelta> part = chain.subList(k, Math.min(chain.size(), k + per));
            m = part.size() == 1 ? ModelRecords.apply(m, part.get(0)) : ModelRecords.apply(m, part);
        }
        if (m.version() != base.version() + chain.size()) {
            throw new IllegalStateException("not every delta applied");
        }
        return (System.nanoTime() - t0) / 1e6 / chain.size();
    }

    static ServedModel model(int users, int items) {
        List<String> u = new ArrayList<>(users);
        for (int i = 0; i < users; i++) {
            u.add("u" + i);
        }
        List<String> it = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            it.add("i" + i);
        }
        int[] catalogue = new int[items];
        int[] pop = new int[items];
        for (int i = 0; i < items; i++) {
            catalogue[i] = i;
            pop[i] = 1 + i % 7;
        }
        ModelMeta meta = ModelMeta.builder("ca", 1, 1).trainedThrough(Map.of("xmrec.train-0", 0L))
                .createdAtMillis(0L).provenance("{}").build();
        return new ServedModel(meta, Net.init(SHAPE, users, items, 0.1, 7), IdVocabulary.ofRows(u), IdVocabulary.ofRows(it),
                catalogue, pop);
    }

    static List<ModelDelta> deltas(ServedModel base, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ModelDelta> out = new ArrayList<>(n);
        int users = base.users().size();
        int items = base.items().size();
        for (int k = 0; k < n; k++) {
            List<String> newUsers = List.of("new-u" + k);
            List<String> newItems = k % 3 == 0 ? List.of("new-i" + k) : List.of();
            users += 1;
            items += newItems.size();
            int[] userRows = new int[6];
            for (int j = 0; j < 5; j++) {
                userRows[j] = rnd.nextInt(users - 1);
            }
            userRows[5] = users - 1;
            java.util.Arrays.sort(userRows);
            List<TensorRows> tensors = new ArrayList<>();
            tensors.add(rows(NetShape.GMF_USER, userRows, 16, rnd));
            tensors.add(rows(NetShape.MLP_USER, userRows, 16, rnd));
            if (!newItems.isEmpty()) {
                int[] itemRow = {items - 1};
                tensors.add(rows(NetShape.GMF_ITEM, itemRow, 16, rnd));
                tensors.add(rows(NetShape.MLP_ITEM, itemRow, 16, rnd));
                tensors.add(rows(NetShape.ITEM_BIAS, itemRow, 1, rnd));
            }
            out.add(ModelDelta.newBuilder().setMarket("ca").setVersion(base.version() + k + 1)
                    .setBaseVersion(base.version() + k).setTrunkVersion(1).setKind("rows").setNewUsers(newUsers)
                    .setNewItems(newItems).setTensors(tensors)
                    .setCatalogue(newItems.isEmpty() ? List.of() : List.of(items - 1))
                    .setPopularityItems(List.of(rnd.nextInt(items))).setPopularityCounts(List.of(1))
                    .setTrainedThrough(Map.of("xmrec.train-0", (long) k)).setCreatedAt(Instant.ofEpochMilli(k)).build());
        }
        return out;
    }

    static TensorRows rows(String tensor, int[] rows, int cols, SplittableRandom rnd) {
        float[] v = new float[rows.length * cols];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) rnd.nextGaussian();
        }
        List<Integer> r = new ArrayList<>();
        for (int row : rows) {
            r.add(row);
        }
        return TensorRows.newBuilder().setTensor(tensor).setRows(r).setValues(ModelRecords.floats(v)).build();
    }
}
