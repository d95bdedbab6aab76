package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.serving.ServedModel;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Tensor;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetFile;
import io.xmrec.core.net.NetShape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A market's model as the {@code ModelRecord} of {@code xmrec.models}: every parameter of the DL4J
 * graph as a named float32 tensor (little-endian, row-major, dense weights {@code [in, out]}), the
 * user tables cut down to the market's own users (users are market-specific; items are shared and
 * kept whole), and the vocabularies in row order. {@link #served} turns a record into a
 * {@link ServedModel} that scores in plain Java.
 */
public final class ModelCodec {

    private ModelCodec() {
    }

    /** What the updater knows about a model besides its parameters. */
    public record Meta(long version, long trunkVersion, Map<String, Long> trainedThrough, Long watermarkMillis,
                       Double validationNdcg10, Double validationHr10) {
    }

    public static ModelRecord toRecord(String market, NcfModel model, Meta meta) {
        // the market's own users, in vocabulary order, with their row numbers
        String prefix = CrossMarketDataset.userKey(market, "");
        List<String> users = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < model.users().size(); r++) {
            String key = model.users().id(r);
            if (key.startsWith(prefix)) {
                users.add(key.substring(prefix.length()));
                rows.add(r);
            } else if (!key.contains("/")) {
                users.add(key); // a single-market model without market prefixes
                rows.add(r);
            }
        }
        List<Tensor> tensors = new ArrayList<>();
        Map<String, int[]> shapes = NetFile.tensorShapes(model.net());
        for (Map.Entry<String, float[]> p : model.net().asMap().entrySet()) {
            String name = p.getKey();
            float[] v = p.getValue();
            int[] s = shapes.get(name).clone();
            if (NetShape.isUserTable(name)) {
                int dim = s[1];
                float[] cut = new float[rows.size() * dim];
                for (int k = 0; k < rows.size(); k++) {
                    System.arraycopy(v, rows.get(k) * dim, cut, k * dim, dim);
                }
                v = cut;
                s[0] = rows.size();
            }
            tensors.add(Tensor.newBuilder().setName(name).setShape(toList(s)).setValues(floats(v)).build());
        }
        return ModelRecord.newBuilder()
                .setMarket(market)
                .setVersion(meta.version())
                .setTrunkVersion(meta.trunkVersion())
                .setArchitecture(model.architecture().label())
                .setTrainedThrough(new LinkedHashMap<>(meta.trainedThrough()))
                .setWatermark(meta.watermarkMillis() == null ? null : Instant.ofEpochMilli(meta.watermarkMillis()))
                .setValidationNdcg10(meta.validationNdcg10())
                .setValidationHr10(meta.validationHr10())
                .setUsers(users)
                .setItems(new ArrayList<>(model.items().ids()))
                .setTensors(tensors)
                .setCreatedAt(Instant.now())
                .build();
    }

    /** The record as a plain-Java scorer. */
    public static ServedModel served(ModelRecord r) {
        Map<String, ServedModel.Tensor> t = new LinkedHashMap<>();
        for (Tensor x : r.getTensors()) {
            int[] shape = x.getShape().stream().mapToInt(Integer::intValue).toArray();
            t.put(x.getName(), new ServedModel.Tensor(shape, floats(x.getValues())));
        }
        return new ServedModel(r.getMarket(), r.getVersion(), r.getUsers(), r.getItems(), t);
    }

    /**
     * Rebuilds a trainable DL4J model from a record (restarting the updater from what it
     * published): the network's sizes come from the tensor shapes, hyper-parameters of training
     * from {@code base} and {@code forec}; the user vocabulary is the market's own users.
     */
    public static NcfModel toModel(ModelRecord r, NcfOptions base, ForecFork.Options forec) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Tensor t : r.getTensors()) {
            shapes.put(t.getName(), t.getShape().stream().mapToInt(Integer::intValue).toArray());
            values.put(t.getName(), floats(t.getValues()));
        }
        NetShape shape = NetShape.fromTensorShapes(shapes);
        NcfOptions o = new NcfOptions(shape.hasGmf() ? shape.gmfDim() : base.gmfDim(),
                shape.hasMlp() ? shape.mlpDim() : base.mlpDim(), shape.hasMlp() ? shape.mlpLayers() : base.mlpLayers(),
                base.learningRate(), base.l2(), base.batchSize(), base.negatives(), base.epochs(), base.embeddingStd(),
                base.seed(), shape.itemBias());
        List<String> users = new ArrayList<>();
        for (String u : r.getUsers()) {
            users.add(CrossMarketDataset.userKey(r.getMarket(), u));
        }
        io.xmrec.core.dataset.IdVocabulary uv = io.xmrec.core.dataset.IdVocabulary.ofOrdered(users);
        io.xmrec.core.dataset.IdVocabulary iv = io.xmrec.core.dataset.IdVocabulary.ofOrdered(r.getItems());
        Net net = Net.of(shape, uv.size(), iv.size(), values);
        NcfArchitecture a = NcfArchitecture.of(shape);
        if (a == NcfArchitecture.FOREC) {
            return new NcfModel(a, net, uv, iv, o, List.of(r.getMarket()),
                    new java.util.LinkedHashSet<>(ForecFork.headTensors(shape)), forec.learningRate(), forec.l2());
        }
        return new NcfModel(a, net, uv, iv, o, List.of(r.getMarket()), java.util.Set.copyOf(shape.tensorNames()),
                o.learningRateFor(a), o.l2());
    }

    /**
     * The record with rows for new users added to its user tables (GMF and MLP vectors per user,
     * e.g. from {@link io.xmrec.core.serving.UserFoldIn}); vocabularies stay sorted, so existing
     * rows move. Users already in the record keep their rows.
     */
    public static ModelRecord withUsers(ModelRecord r, Map<String, io.xmrec.core.serving.UserFoldIn.Vectors> added) {
        java.util.TreeMap<String, Integer> oldRow = new java.util.TreeMap<>();
        for (int k = 0; k < r.getUsers().size(); k++) {
            oldRow.put(r.getUsers().get(k), k);
        }
        java.util.TreeSet<String> all = new java.util.TreeSet<>(oldRow.keySet());
        all.addAll(added.keySet());
        List<String> users = new ArrayList<>(all);
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : r.getTensors()) {
            boolean gmf = t.getName().equals(NetShape.GMF_USER);
            if (!gmf && !t.getName().equals(NetShape.MLP_USER)) {
                tensors.add(t);
                continue;
            }
            int dim = t.getShape().get(1);
            float[] v = floats(t.getValues());
            float[] out = new float[users.size() * dim];
            for (int k = 0; k < users.size(); k++) {
                Integer from = oldRow.get(users.get(k));
                if (from != null) {
                    System.arraycopy(v, from * dim, out, k * dim, dim);
                } else {
                    io.xmrec.core.serving.UserFoldIn.Vectors x = added.get(users.get(k));
                    float[] row = gmf ? x.gmf() : x.mlp();
                    if (row.length != dim) {
                        throw new IllegalArgumentException("vector of user " + users.get(k) + " has " + row.length
                                + " values for a table of width " + dim);
                    }
                    System.arraycopy(row, 0, out, k * dim, dim);
                }
            }
            tensors.add(Tensor.newBuilder(t).setShape(List.of(users.size(), dim)).setValues(floats(out)).build());
        }
        return ModelRecord.newBuilder(r).setUsers(users).setTensors(tensors).build();
    }

    private static List<Integer> shape(Map<String, Tensor> t, String name) {
        Tensor x = t.get(name);
        if (x == null) {
            throw new IllegalArgumentException("model record has no tensor " + name);
        }
        return x.getShape();
    }

    private static List<Integer> toList(int[] s) {
        List<Integer> l = new ArrayList<>(s.length);
        for (int d : s) {
            l.add(d);
        }
        return l;
    }

    static ByteBuffer floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    static float[] floats(ByteBuffer b) {
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[d.remaining() / 4];
        d.asFloatBuffer().get(v);
        return v;
    }
}
