package io.xmrec.serving;

import io.xmrec.core.net.NetShape;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A model version as records of bounded size, so that no model is one record: a market with
 * millions of users or a catalogue of a million items publishes and loads. A version is split by
 * rows: each part is a {@code ModelRecord} holding a slice of the user vocabulary with the same rows
 * of the user tables and a slice of the item vocabulary with the same rows of the item tables
 * ({@code userOffset}, {@code itemOffset} say where the slices start); the head, part 0, holds the
 * first slices and everything else (the dense layers, catalogue, popularity, metadata) and says how
 * many parts the version has. Parts go under the keys {@code <key>/part/<i>}, the head under
 * {@code <key>} itself, all to the head's partition and the head last, in one transaction where the
 * topic is transactional: a reader that has the head has every part of its version before it, and on
 * the compacted topic the newest part per key belongs to the newest version (parts beyond a newer
 * version's count stay as garbage of bounded size, ignored by their version). A model that fits in
 * one part is one record, as before.
 */
public final class ModelParts {

    /** Bytes a part aims at: far below every record limit, small enough to stream. */
    public static final int PART_BYTES = 8 << 20;

    private static final String PART = "/part/";

    private ModelParts() {
    }

    /** The record key of part {@code part} of the version published under {@code key}. */
    public static String key(String key, int part) {
        return part == 0 ? key : key + PART + part;
    }

    /** The key of the version a record key belongs to ({@code market/part/3} -> {@code market}). */
    public static String versionKey(String recordKey) {
        int i = recordKey.lastIndexOf(PART);
        return i < 0 ? recordKey : recordKey.substring(0, i);
    }

    /** Splits a version into parts of about {@code maxBytes} each; the head (part 0) comes last. */
    public static List<ModelRecord> split(ModelRecord r, int maxBytes) {
        List<Tensor> userTables = new ArrayList<>();
        List<Tensor> itemTables = new ArrayList<>();
        List<Tensor> dense = new ArrayList<>();
        for (Tensor t : r.getTensors()) {
            (NetShape.isUserTable(t.getName()) ? userTables : NetShape.isItemTable(t.getName()) ? itemTables : dense).add(t);
        }
        long fixed = 4096L + bytes(dense) + 5L * (r.getCatalogue().size() + r.getPopularity().size())
                + (r.getProvenance() == null ? 0 : r.getProvenance().length() * 3L);
        long perUserRow = rowBytes(userTables, r.getUsers().size());
        long perItemRow = rowBytes(itemTables, r.getItems().size());
        long total = fixed + ids(r.getUsers(), 0, r.getUsers().size()) + ids(r.getItems(), 0, r.getItems().size())
                + perUserRow * r.getUsers().size() + perItemRow * r.getItems().size();
        if (total <= maxBytes) {
            return List.of(r);
        }
        // slices in order: the head takes what fits beside its fixed part, each further part up to the budget
        List<int[]> slices = new ArrayList<>(); // {userFrom, userTo, itemFrom, itemTo}
        int u = 0;
        int i = 0;
        int nu = r.getUsers().size();
        int ni = r.getItems().size();
        boolean head = true;
        while (head || u < nu || i < ni) {
            long budget = maxBytes - (head ? fixed : 4096L);
            int u0 = u;
            int i0 = i;
            while (u < nu && budget > 0) {
                budget -= perUserRow + r.getUsers().get(u).length() + 2;
                u++;
            }
            while (u >= nu && i < ni && budget > 0) {
                budget -= perItemRow + r.getItems().get(i).length() + 2;
                i++;
            }
            slices.add(new int[]{u0, u, i0, i});
            head = false;
        }
        int n = slices.size();
        List<ModelRecord> parts = new ArrayList<>(n);
        for (int p = 1; p < n; p++) {
            parts.add(part(r, p, n, slices.get(p), userTables, itemTables, List.of(), false));
        }
        parts.add(part(r, 0, n, slices.get(0), userTables, itemTables, dense, true));
        return parts;
    }

    private static ModelRecord part(ModelRecord r, int index, int count, int[] s, List<Tensor> userTables,
                                    List<Tensor> itemTables, List<Tensor> dense, boolean head) {
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : userTables) {
            tensors.add(rows(t, s[0], s[1], r.getUsers().size()));
        }
        for (Tensor t : itemTables) {
            tensors.add(rows(t, s[2], s[3], r.getItems().size()));
        }
        tensors.addAll(dense);
        ModelRecord.Builder b = ModelRecord.newBuilder(r)
                .setUsers(new ArrayList<>(r.getUsers().subList(s[0], s[1])))
                .setItems(new ArrayList<>(r.getItems().subList(s[2], s[3])))
                .setTensors(tensors)
                .setPart(index)
                .setParts(count)
                .setUserOffset(s[0])
                .setItemOffset(s[2]);
        if (!head) {
            b.setCatalogue(List.of()).setPopularity(List.of()).setProvenance(null).setTrainedThrough(Map.of())
                    .setDeltaOffsets(Map.of());
        }
        return b.build();
    }

    /** Rows [from, to) of a table whose first dimension has {@code rows} rows. */
    private static Tensor rows(Tensor t, int from, int to, int rows) {
        int width = rows == 0 ? 0 : t.getValues().remaining() / 4 / rows;
        ByteBuffer all = t.getValues().duplicate();
        all.position(from * width * 4).limit(to * width * 4);
        ByteBuffer slice = ByteBuffer.allocate(all.remaining());
        slice.put(all).flip();
        List<Integer> shape = new ArrayList<>(t.getShape());
        shape.set(0, to - from);
        return Tensor.newBuilder().setName(t.getName()).setShape(shape).setValues(slice).build();
    }

    private static long rowBytes(List<Tensor> tables, int rows) {
        return rows == 0 ? 0 : bytes(tables) / rows;
    }

    private static long bytes(List<Tensor> ts) {
        long n = 0;
        for (Tensor t : ts) {
            n += t.getValues().remaining() + 64;
        }
        return n;
    }

    private static long ids(List<String> ids, int from, int to) {
        long n = 0;
        for (int k = from; k < to; k++) {
            n += ids.get(k).length() + 2;
        }
        return n;
    }

    /**
     * Puts versions back together from the records of a model topic, in the order a reader reads
     * them. Keeps the parts of each key's newest version seen until its head arrives.
     */
    public static final class Assembler {

        private final Map<String, Map<Integer, ModelRecord>> parts = new HashMap<>();

        /**
         * Takes one record (its key as published) and returns the version it completes: a one-part
         * version at once, a head with every part of its version before it; empty otherwise. A head
         * whose parts are missing is an error naming what is missing.
         */
        public Optional<ModelRecord> accept(String recordKey, ModelRecord r) {
            if (r.getParts() <= 1 && r.getPart() == 0) {
                return Optional.of(r);
            }
            String key = versionKey(recordKey == null ? r.getMarket() : recordKey);
            Map<Integer, ModelRecord> mine = parts.computeIfAbsent(key, k -> new TreeMap<>());
            if (r.getPart() != 0) {
                ModelRecord old = mine.get(r.getPart());
                if (old == null || old.getVersion() <= r.getVersion()) {
                    mine.put(r.getPart(), r);
                }
                return Optional.empty();
            }
            List<ModelRecord> all = new ArrayList<>();
            all.add(r);
            List<Integer> missing = new ArrayList<>();
            for (int p = 1; p < r.getParts(); p++) {
                ModelRecord got = mine.get(p);
                if (got == null || got.getVersion() != r.getVersion() || got.getReference() != r.getReference()) {
                    missing.add(p);
                } else {
                    all.add(got);
                }
            }
            mine.values().removeIf(x -> x.getVersion() <= r.getVersion());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("model " + key + " v" + r.getVersion() + " has " + r.getParts()
                        + " parts, but parts " + missing + " of that version were not read before its head");
            }
            return Optional.of(join(all));
        }

        /** Parts held while their heads are awaited. */
        public int pending() {
            return parts.values().stream().mapToInt(Map::size).sum();
        }
    }

    /** The whole version from its head (first) and parts. */
    static ModelRecord join(List<ModelRecord> all) {
        ModelRecord head = all.get(0);
        List<ModelRecord> byUsers = new ArrayList<>(all);
        byUsers.sort((a, b) -> Integer.compare(a.getUserOffset(), b.getUserOffset()));
        List<ModelRecord> byItems = new ArrayList<>(all);
        byItems.sort((a, b) -> Integer.compare(a.getItemOffset(), b.getItemOffset()));
        List<String> users = new ArrayList<>();
        for (ModelRecord p : byUsers) {
            if (p.getUserOffset() != users.size()) {
                throw new IllegalArgumentException("model " + head.getMarket() + " v" + head.getVersion()
                        + ": user rows from " + p.getUserOffset() + " follow " + users.size());
            }
            users.addAll(p.getUsers());
        }
        List<String> items = new ArrayList<>();
        for (ModelRecord p : byItems) {
            if (p.getItemOffset() != items.size()) {
                throw new IllegalArgumentException("model " + head.getMarket() + " v" + head.getVersion()
                        + ": item rows from " + p.getItemOffset() + " follow " + items.size());
            }
            items.addAll(p.getItems());
        }
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : head.getTensors()) {
            boolean user = NetShape.isUserTable(t.getName());
            boolean item = NetShape.isItemTable(t.getName());
            if (!user && !item) {
                tensors.add(t);
                continue;
            }
            List<ModelRecord> order = user ? byUsers : byItems;
            int rows = 0;
            int bytes = 0;
            for (ModelRecord p : order) {
                Tensor pt = tensor(p, t.getName());
                rows += pt.getShape().get(0);
                bytes += pt.getValues().remaining();
            }
            ByteBuffer joined = ByteBuffer.allocate(bytes);
            for (ModelRecord p : order) {
                joined.put(tensor(p, t.getName()).getValues().duplicate());
            }
            joined.flip();
            List<Integer> shape = new ArrayList<>(t.getShape());
            shape.set(0, rows);
            tensors.add(Tensor.newBuilder().setName(t.getName()).setShape(shape).setValues(joined).build());
        }
        return ModelRecord.newBuilder(head).setUsers(users).setItems(items).setTensors(tensors).setPart(0).setParts(1)
                .setUserOffset(0).setItemOffset(0).build();
    }

    private static Tensor tensor(ModelRecord p, String name) {
        for (Tensor t : p.getTensors()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("model " + p.getMarket() + " v" + p.getVersion() + " part " + p.getPart()
                + " lacks tensor " + name);
    }
}
