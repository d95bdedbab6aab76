package io.xmrec.core.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameters of a network of {@link NetShape}: one float array per tensor, row-major, in the
 * order of {@link NetShape#tensorShapes}. User tables have {@link #users()} rows, item tables and
 * the item bias {@link #items()}. A {@code Net} is mutated only by the one training it; readers
 * that share one (serving) replace it with a copy instead ({@link #withTensor}), so the arrays of a
 * published net never change under them.
 */
public final class Net {

    private final NetShape shape;
    private final int users;
    private final int items;
    private final List<String> names;
    private final float[][] values;

    private Net(NetShape shape, int users, int items, float[][] values) {
        this.shape = shape;
        this.users = users;
        this.items = items;
        this.names = shape.tensorNames();
        this.values = values;
    }

    /** A net from named tensors; every tensor of the shape must be there with its exact size. */
    public static Net of(NetShape shape, int users, int items, Map<String, float[]> tensors) {
        Map<String, int[]> shapes = shape.tensorShapes(users, items);
        if (!shapes.keySet().equals(tensors.keySet())) {
            throw new IllegalArgumentException("tensors " + tensors.keySet() + " do not match the network's " + shapes.keySet());
        }
        float[][] v = new float[shapes.size()][];
        int k = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            float[] t = tensors.get(e.getKey());
            if (t.length != size(e.getValue())) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + t.length + " values, its shape "
                        + Arrays.toString(e.getValue()) + " needs " + size(e.getValue()));
            }
            v[k++] = t;
        }
        return new Net(shape, users, items, v);
    }

    /** A net of zeros. */
    public static Net zeros(NetShape shape, int users, int items) {
        Map<String, int[]> shapes = shape.tensorShapes(users, items);
        float[][] v = new float[shapes.size()][];
        int k = 0;
        for (int[] s : shapes.values()) {
            v[k++] = new float[size(s)];
        }
        return new Net(shape, users, items, v);
    }

    /**
     * A freshly initialised net: embedding tables normal(0, {@code embeddingStd}), dense weights
     * Xavier-normal (std sqrt(2 / (fan in + fan out)), DL4J's XAVIER), biases and item biases zero,
     * market vectors one (every market starts as the shared network and learns how it differs).
     */
    public static Net init(NetShape shape, int users, int items, double embeddingStd, long seed) {
        Net n = zeros(shape, users, items);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, int[]> shapes = shape.tensorShapes(users, items);
        int k = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String name = e.getKey();
            float[] v = n.values[k++];
            if (NetShape.isBias(name)) {
                continue;
            }
            if (NetShape.isMarketTable(name)) {
                Arrays.fill(v, 1f);
                continue;
            }
            double std = NetShape.isUserTable(name) || NetShape.isItemTable(name) ? embeddingStd
                    : Math.sqrt(2.0 / (e.getValue()[0] + e.getValue()[1]));
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rnd.nextGaussian() * std);
            }
        }
        return n;
    }

    /** The number of values of a tensor of this shape. */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    public NetShape shape() {
        return shape;
    }

    public int users() {
        return users;
    }

    public int items() {
        return items;
    }

    /** Number of tensors. */
    public int tensors() {
        return values.length;
    }

    public String name(int k) {
        return names.get(k);
    }

    /** Index of a tensor, or -1 when the shape has no such tensor. */
    public int index(String name) {
        return names.indexOf(name);
    }

    /** The values of tensor {@code k} (the array itself: mutate only a net you own). */
    public float[] values(int k) {
        return values[k];
    }

    /** The values of a named tensor (the array itself), or null when the shape has none. */
    public float[] get(String name) {
        int k = index(name);
        return k < 0 ? null : values[k];
    }

    /** Shape of tensor {@code k} at this net's row counts. */
    public int[] tensorShape(int k) {
        return shape.tensorShapes(users, items).get(names.get(k));
    }

    /** Every tensor by name (the arrays themselves), in order. */
    public Map<String, float[]> asMap() {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (int k = 0; k < values.length; k++) {
            m.put(names.get(k), values[k]);
        }
        return Collections.unmodifiableMap(m);
    }

    /** Total number of parameters. */
    public long parameters() {
        long n = 0;
        for (float[] v : values) {
            n += v.length;
        }
        return n;
    }

    /** A deep copy. */
    public Net copy() {
        float[][] v = new float[values.length][];
        for (int k = 0; k < v.length; k++) {
            v[k] = values[k].clone();
        }
        return new Net(shape, users, items, v);
    }

    /** This net with one tensor replaced by new values of the same size; the other arrays are shared. */
    public Net withTensor(String name, float[] v) {
        int k = index(name);
        if (k < 0 || v.length != values[k].length) {
            throw new IllegalArgumentException("cannot replace tensor " + name + " with " + v.length + " values");
        }
        float[][] out = values.clone();
        out[k] = v;
        return new Net(shape, users, items, out);
    }

    /**
     * This net with its user and item tables resized to {@code users} and {@code items} rows: rows
     * kept by index, new rows zero (callers fill them); the dense tensors are shared.
     */
    public Net withRows(int users, int items) {
        float[][] out = values.clone();
        for (int k = 0; k < out.length; k++) {
            String n = names.get(k);
            boolean user = NetShape.isUserTable(n);
            boolean item = NetShape.isItemTable(n);
            if (!user && !item) {
                continue;
            }
            int cols = n.equals(NetShape.ITEM_BIAS) ? 1 : tensorShape(k)[1];
            int rows = user ? users : items;
            out[k] = Arrays.copyOf(values[k], rows * cols);
        }
        return new Net(shape, users, items, out);
    }

    /** Copies the dense tensors (not the tables) of {@code from} that exist here with the same size; returns their names. */
    public List<String> copyDenseFrom(Net from) {
        List<String> copied = new ArrayList<>();
        for (int k = 0; k < values.length; k++) {
            String n = names.get(k);
            if (NetShape.isUserTable(n) || NetShape.isItemTable(n)) {
                continue;
            }
            float[] src = from.get(n);
            if (src != null && src.length == values[k].length) {
                System.arraycopy(src, 0, values[k], 0, src.length);
                copied.add(n);
            }
        }
        return copied;
    }

    /** SHA-256 over the tensor names and their float values: the identity of a trunk. */
    public String fingerprint() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
            for (int k = 0; k < values.length; k++) {
                md.update(names.get(k).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (float f : values[k]) {
                    if (b.remaining() < 4) {
                        md.update(b.array(), 0, b.position());
                        b.clear();
                    }
                    b.putFloat(f);
                }
            }
            md.update(b.array(), 0, b.position());
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
