package io.xmrec.core.net;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A net on disk: its tensors by name with their shapes, float32 big-endian. The network's shape and
 * row counts are read back off the tensor shapes ({@link NetShape#fromTensorShapes}), so the file
 * needs no other description.
 */
public final class NetFile {

    private static final int MAGIC = 0x584D4E54; // "XMNT"
    private static final int VERSION = 1;
    /** Refuses absurd sizes from a corrupt file before allocating them. */
    private static final long MAX_VALUES = 1L << 28;

    private NetFile() {
    }

    public static void write(Path file, Net net) {
        write(file, net.asMap(), tensorShapes(net));
    }

    /** Writes named tensors of the given shapes (a subset of a net, e.g. a market's head). */
    public static void write(Path file, Map<String, float[]> tensors, Map<String, int[]> shapes) {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            writeTensors(out, tensors, shapes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write network tensors to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the tensor count, then per tensor its name, shape and values (the body of the file format). */
    public static void writeTensors(DataOutputStream out, Map<String, float[]> tensors, Map<String, int[]> shapes)
            throws IOException {
        out.writeInt(tensors.size());
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            out.writeUTF(e.getKey());
            int[] shape = shapes.get(e.getKey());
            out.writeInt(shape.length);
            for (int d : shape) {
                out.writeInt(d);
            }
            float[] v = e.getValue();
            out.writeInt(v.length);
            for (float f : v) {
                out.writeFloat(f);
            }
        }
    }

    /** The tensors and shapes of a file written by {@link #write}. */
    public static Map<String, float[]> read(Path file, Map<String, int[]> shapesOut) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException(file + " is not an xmrec network file");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(file + " has network file format " + version + ", this xmrec reads " + VERSION);
            }
            return readTensors(in, shapesOut, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read network tensors from " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads what {@link #writeTensors} wrote, checking every count and size before allocating. */
    public static Map<String, float[]> readTensors(DataInputStream in, Map<String, int[]> shapesOut, String source)
            throws IOException {
        try {
            int n = in.readInt();
            if (n < 0 || n > 10_000) {
                throw new IllegalArgumentException(source + " claims " + n + " tensors");
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (int t = 0; t < n; t++) {
                String name = in.readUTF();
                int dims = in.readInt();
                if (dims < 0 || dims > 8) {
                    throw new IllegalArgumentException(source + ": tensor " + name + " claims " + dims + " dimensions");
                }
                int[] shape = new int[dims];
                long size = 1;
                for (int d = 0; d < dims; d++) {
                    shape[d] = in.readInt();
                    size *= Math.max(0, shape[d]);
                }
                int len = in.readInt();
                if (len != size || len < 0 || len > MAX_VALUES) {
                    throw new IllegalArgumentException(source + ": tensor " + name + " has " + len + " values for shape "
                            + java.util.Arrays.toString(shape));
                }
                float[] v = new float[len];
                for (int i = 0; i < len; i++) {
                    v[i] = in.readFloat();
                }
                out.put(name, v);
                shapesOut.put(name, shape);
            }
            return out;
        } catch (EOFException e) {
            throw new IllegalArgumentException(source + " ends early: the tensors are truncated", e);
        }
    }

    /** Reads a whole net written by {@link #write(Path, Net)}. */
    public static Net read(Path file) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> t = read(file, shapes);
        NetShape s = NetShape.fromTensorShapes(shapes);
        return Net.of(s, rows(shapes, s, true), rows(shapes, s, false), t);
    }

    /** User (or item) rows of a net from its tensor shapes. */
    public static int rows(Map<String, int[]> shapes, NetShape s, boolean users) {
        String table = users ? (s.hasGmf() ? NetShape.GMF_USER : NetShape.MLP_USER)
                : (s.hasGmf() ? NetShape.GMF_ITEM : NetShape.MLP_ITEM);
        return shapes.get(table)[0];
    }

    public static Map<String, int[]> tensorShapes(Net net) {
        return net.shape().tensorShapes(net.users(), net.items());
    }
}
