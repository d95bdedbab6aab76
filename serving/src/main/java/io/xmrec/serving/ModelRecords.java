package io.xmrec.serving;

import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Tensor;
import io.xmrec.schemas.TensorRows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Models on the wire: a {@code ModelRecord} (snapshot on {@code xmrec.models}) is the network's
 * tensors by their {@link NetShape} names (float32 little-endian, row-major, dense weights
 * {@code [in, out]}), the user and item vocabularies in row order, the catalogue and its
 * popularity, and the provenance; the network's shape is read off the tensors, so a record decodes
 * with nothing else. A {@code ModelDelta} changes rows of tables (users and items re-fitted or
 * appended) or whole dense tensors (a fine-tuned head); it applies only to its base version.
 */
public final class ModelRecords {

    private ModelRecords() {
    }

    /** Decodes a snapshot. */
    public static ServedModel served(ModelRecord r) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Tensor t : r.getTensors()) {
            int[] shape = t.getShape().stream().mapToInt(Integer::intValue).toArray();
            float[] v = floats(t.getValues());
            long n = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("model " + r.getMarket() + " v" + r.getVersion() + ": tensor "
                            + t.getName() + " has a negative dimension");
                }
                n *= d;
            }
            if (n != v.length) {
                throw new IllegalArgumentException("model " + r.getMarket() + " v" + r.getVersion() + ": tensor "
                        + t.getName() + " of shape " + Arrays.toString(shape) + " has " + v.length + " values");
            }
            shapes.put(t.getName(), shape);
            values.put(t.getName(), v);
        }
        NetShape shape = NetShape.fromTensorShapes(shapes);
        IdVocabulary users = IdVocabulary.ofRows(r.getUsers());
        IdVocabulary items = IdVocabulary.ofRows(r.getItems());
        Net net = Net.of(shape, users.size(), items.size(), values);
        ModelMeta meta = ModelMeta.builder(r.getMarket(), r.getVersion(), r.getTrunkVersion())
                .reference(r.getReference()).trainedThrough(r.getTrainedThrough())
                .watermarkMillis(r.getWatermark() == null ? null : r.getWatermark().toEpochMilli())
                .validation(r.getValidationNdcg10(), r.getValidationHr10())
                .createdAtMillis(r.getCreatedAt().toEpochMilli()).provenance(r.getProvenance())
                .deltaOffsets(r.getDeltaOffsets()).build();
        return new ServedModel(meta, net, users, items, ints(r.getCatalogue()), ints(r.getPopularity()));
    }

    /** Encodes a snapshot. */
    public static ModelRecord record(ServedModel m, String architecture) {
        ModelMeta meta = m.meta();
        Map<String, int[]> shapes = m.net().shape().tensorShapes(m.net().users(), m.net().items());
        List<Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, float[]> e : m.net().asMap().entrySet()) {
            tensors.add(Tensor.newBuilder().setName(e.getKey()).setShape(list(shapes.get(e.getKey())))
                    .setValues(floats(e.getValue())).build());
        }
        return ModelRecord.newBuilder()
                .setMarket(meta.market())
                .setVersion(meta.version())
                .setTrunkVersion(meta.trunkVersion())
                .setArchitecture(architecture)
                .setTrainedThrough(new LinkedHashMap<>(meta.trainedThrough()))
                .setWatermark(meta.watermarkMillis() == null ? null : Instant.ofEpochMilli(meta.watermarkMillis()))
                .setValidationNdcg10(meta.validationNdcg10())
                .setValidationHr10(meta.validationHr10())
                .setUsers(m.users().ids())
                .setItems(m.items().ids())
                .setTensors(tensors)
                .setCreatedAt(Instant.ofEpochMilli(meta.createdAtMillis()))
                .setReference(meta.reference())
                .setProvenance(meta.provenance())
                .setCatalogue(list(m.catalogue()))
                .setPopularity(list(m.popularity()))
                .setDeltaOffsets(new LinkedHashMap<>(meta.deltaOffsets()))
                .build();
    }

    /**
     * The model a delta makes of {@code m}: a new instance (tables that change are copied, the rest
     * shared). Refused when the delta's base is not {@code m}'s version or it does not fit.
     */
    public static ServedModel apply(ServedModel m, ModelDelta d) {
        return apply(m, List.of(d));
    }

    /**
     * The model a chain of deltas makes of {@code m} (each made from the version before it, the first from {@code m}'s):
     * what applying them one by one makes, with each table the chain changes copied once rather than once per delta,
     * so a reader that is behind (a new client, a burst) pays for the rows it applies, not for the tables each time.
     * Refused, naming the delta, when one does not fit; nothing is applied then.
     */
    public static ServedModel apply(ServedModel m, List<ModelDelta> chain) {
        long expected = m.version();
        List<String> newUsers = new ArrayList<>();
        List<String> newItems = new ArrayList<>();
        for (ModelDelta d : chain) {
            if (!d.getMarket().equals(m.market())) {
                throw new IllegalArgumentException("delta of market " + d.getMarket() + " for the " + m.market() + " model");
            }
            if (d.getBaseVersion() != expected) {
                throw new IllegalArgumentException("delta " + d.getMarket() + " v" + d.getBaseVersion() + " -> v"
                        + d.getVersion() + " does not apply to v" + expected);
            }
            expected = d.getVersion();
            newUsers.addAll(d.getNewUsers());
            newItems.addAll(d.getNewItems());
        }
        IdVocabulary users = newUsers.isEmpty() ? m.users() : m.users().appended(newUsers);
        IdVocabulary items = newItems.isEmpty() ? m.items() : m.items().appended(newItems);
        Net net = m.net();
        boolean grown = users.size() != net.users() || items.size() != net.items();
        if (grown) {
            net = net.withRows(users.size(), items.size()); // fresh tables: written in place below
        }
        Map<String, float[]> replaced = new LinkedHashMap<>();
        int usersAt = m.users().size();
        int itemsAt = m.items().size();
        TreeMap<Integer, Integer> cat = null;
        ModelMeta meta = m.meta();
        for (ModelDelta d : chain) {
            usersAt += d.getNewUsers().size();
            itemsAt += d.getNewItems().size();
            Map<String, int[]> shapes = net.shape().tensorShapes(usersAt, itemsAt);
            for (TensorRows t : d.getTensors()) {
                applyRows(net, replaced, grown, shapes.get(t.getTensor()), t, d);
            }
            if (!d.getCatalogue().isEmpty() || !d.getPopularityItems().isEmpty()) {
                if (cat == null) {
                    cat = new TreeMap<>();
                    for (int i = 0; i < m.catalogue().length; i++) {
                        cat.put(m.catalogue()[i], m.popularity()[i]);
                    }
                }
                addToCatalogue(cat, d, itemsAt);
            }
            meta = meta.next(d.getVersion(), d.getTrunkVersion(), d.getTrainedThrough(),
                    d.getWatermark() == null ? null : d.getWatermark().toEpochMilli(), d.getValidationNdcg10(),
                    d.getCreatedAt().toEpochMilli());
        }
        for (Map.Entry<String, float[]> e : replaced.entrySet()) {
            net = net.withTensor(e.getKey(), e.getValue());
        }
        int[] catalogue = cat == null ? m.catalogue() : cat.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] popularity = cat == null ? m.popularity() : cat.values().stream().mapToInt(Integer::intValue).toArray();
        return new ServedModel(meta, net, users, items, catalogue, popularity);
    }

    /**
     * One delta entry into {@code replaced} (the tensors this chain has changed so far): a whole tensor replaced, or
     * rows written into a copy made at the first change (into the table itself when the chain grew the tables, which
     * made them fresh). {@code shape}: the tensor's shape at this delta.
     */
    private static void applyRows(Net net, Map<String, float[]> replaced, boolean grownTables, int[] shape, TensorRows t,
                                  ModelDelta d) {
        if (shape == null) {
            throw new IllegalArgumentException("delta v" + d.getVersion() + " of " + d.getMarket() + " changes tensor "
                    + t.getTensor() + ", which the model does not have");
        }
        float[] v = floats(t.getValues());
        boolean table = NetShape.isUserTable(t.getTensor()) || NetShape.isItemTable(t.getTensor());
        float[] current = replaced.containsKey(t.getTensor()) ? replaced.get(t.getTensor()) : net.get(t.getTensor());
        if (t.getRows().isEmpty()) {
            if (v.length != Net.size(shape) || v.length != current.length) {
                throw new IllegalArgumentException("delta v" + d.getVersion() + ": tensor " + t.getTensor() + " has "
                        + v.length + " values, the model's " + current.length);
            }
            replaced.put(t.getTensor(), v);
            return;
        }
        int cols = shape.length > 1 ? shape[1] : 1;
        int rows = shape[0];
        if (v.length != t.getRows().size() * cols) {
            throw new IllegalArgumentException("delta v" + d.getVersion() + ": " + t.getRows().size() + " rows of "
                    + t.getTensor() + " with " + v.length + " values (" + cols + " per row)");
        }
        boolean own = replaced.containsKey(t.getTensor()) || (grownTables && table);
        float[] copy = own ? current : current.clone();
        int k = 0;
        for (int row : t.getRows()) {
            if (row < 0 || row >= rows) {
                throw new IllegalArgumentException("delta v" + d.getVersion() + ": row " + row + " of " + t.getTensor()
                        + " outside its " + rows + " rows");
            }
            System.arraycopy(v, k * cols, copy, row * cols, cols);
            k++;
        }
        replaced.put(t.getTensor(), copy);
    }

    /** A delta's catalogue growth and popularity counts into {@code cat} (item row -> count). */
    private static void addToCatalogue(TreeMap<Integer, Integer> cat, ModelDelta d, int items) {
        for (int row : d.getCatalogue()) {
            check(row, items, d);
            cat.putIfAbsent(row, 0);
        }
        if (d.getPopularityItems().size() != d.getPopularityCounts().size()) {
            throw new IllegalArgumentException("delta v" + d.getVersion() + ": " + d.getPopularityItems().size()
                    + " popularity items with " + d.getPopularityCounts().size() + " counts");
        }
        for (int k = 0; k < d.getPopularityItems().size(); k++) {
            int row = d.getPopularityItems().get(k);
            check(row, items, d);
            cat.merge(row, d.getPopularityCounts().get(k), Integer::sum);
        }
    }

    private static void check(int row, int items, ModelDelta d) {
        if (row < 0 || row >= items) {
            throw new IllegalArgumentException("delta v" + d.getVersion() + " of " + d.getMarket() + ": item row " + row
                    + " outside the " + items + " items");
        }
    }

    /** Rows {@code rows} (at least one) of a table of {@code cols} columns, as a delta entry. */
    public static TensorRows rows(String tensor, float[] table, int cols, int[] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("a delta entry of no rows of " + tensor + " would replace the whole tensor");
        }
        float[] v = new float[rows.length * cols];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(table, rows[k] * cols, v, k * cols, cols);
        }
        return TensorRows.newBuilder().setTensor(tensor).setRows(list(rows)).setValues(floats(v)).build();
    }

    /**
     * The delta entries of changed table rows: the user rows of {@code userRows} and the item rows (bias
     * included) of {@code itemRows} in every table the network has; none for an empty list (an entry of no
     * rows would mean the whole tensor).
     */
    public static List<TensorRows> tableRows(Net net, int[] userRows, int[] itemRows) {
        NetShape shape = net.shape();
        List<TensorRows> out = new ArrayList<>();
        if (userRows.length > 0) {
            if (shape.hasGmf()) {
                out.add(rows(NetShape.GMF_USER, net.get(NetShape.GMF_USER), shape.gmfDim(), userRows));
            }
            if (shape.hasMlp()) {
                out.add(rows(NetShape.MLP_USER, net.get(NetShape.MLP_USER), shape.mlpDim(), userRows));
            }
        }
        if (itemRows.length > 0) {
            if (shape.hasGmf()) {
                out.add(rows(NetShape.GMF_ITEM, net.get(NetShape.GMF_ITEM), shape.gmfDim(), itemRows));
            }
            if (shape.hasMlp()) {
                out.add(rows(NetShape.MLP_ITEM, net.get(NetShape.MLP_ITEM), shape.mlpDim(), itemRows));
            }
            if (shape.itemBias()) {
                out.add(rows(NetShape.ITEM_BIAS, net.get(NetShape.ITEM_BIAS), 1, itemRows));
            }
        }
        return out;
    }

    /** A whole tensor, as a delta entry. */
    public static TensorRows whole(String tensor, float[] values) {
        return TensorRows.newBuilder().setTensor(tensor).setRows(List.of()).setValues(floats(values)).build();
    }

    static List<Integer> list(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int d : a) {
            l.add(d);
        }
        return l;
    }

    static int[] ints(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }

    public static ByteBuffer floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    public static float[] floats(ByteBuffer b) {
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (d.remaining() % 4 != 0) {
            throw new IllegalArgumentException("tensor bytes of length " + d.remaining() + " are not float32 values");
        }
        float[] v = new float[d.remaining() / 4];
        d.asFloatBuffer().get(v);
        return v;
    }
}
