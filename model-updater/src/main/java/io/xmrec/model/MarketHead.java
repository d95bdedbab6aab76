package io.xmrec.model;

import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters a market owns in a FOREC model (top MLP layers, head, output) as named float
 * tensors, with the fingerprint of the trunk they were trained on. Heads are small and change
 * often; the trunk is large and changes rarely, so they are saved and shipped separately.
 */
public record MarketHead(String market, String trunkFingerprint, Map<String, float[]> tensors,
                         Map<String, long[]> shapes) {

    private static final int MAGIC = 0x584D5248; // "XMRH"
    private static final int VERSION = 1;

    /** Extracts the head of a forked model. */
    public static MarketHead of(String market, NcfModel forec, NcfModel trunk, ForecFork.Options o) {
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, long[]> s = new LinkedHashMap<>();
        for (String layer : ForecFork.headLayers(trunk.options(), o)) {
            Layer l = forec.graph().getLayer(layer);
            for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
                String name = layer + "." + p.getKey();
                t.put(name, p.getValue().castTo(DataType.FLOAT).dup('c').data().asFloat());
                s.put(name, p.getValue().shape());
            }
        }
        return new MarketHead(market, fingerprint(trunk), t, s);
    }

    /** Writes the head's parameters into a model forked from the same trunk. */
    public void applyTo(NcfModel forked, NcfModel trunk) {
        String fp = fingerprint(trunk);
        if (!fp.equals(trunkFingerprint)) {
            throw new IllegalArgumentException("head of market " + market + " was trained on trunk " + trunkFingerprint
                    + ", not on " + fp);
        }
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            String[] ln = e.getKey().split("\\.", 2);
            Layer l = forked.graph().getLayer(ln[0]);
            INDArray dst = l.getParam(ln[1]);
            l.setParam(ln[1], Nd4j.create(e.getValue(), shapes.get(e.getKey()), 'c').castTo(dst.dataType()));
        }
    }

    /** SHA-256 of the trunk's parameters (float32, in DL4J's flattened order). */
    public static String fingerprint(NcfModel trunk) {
        float[] p = trunk.graph().params().castTo(DataType.FLOAT).dup('c').data().asFloat();
        ByteBuffer buf = ByteBuffer.allocate(p.length * 4);
        buf.asFloatBuffer().put(p);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(market);
            out.writeUTF(trunkFingerprint);
            out.writeInt(tensors.size());
            for (Map.Entry<String, float[]> e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                long[] shape = shapes.get(e.getKey());
                out.writeInt(shape.length);
                for (long d : shape) {
                    out.writeLong(d);
                }
                out.writeInt(e.getValue().length);
                for (float f : e.getValue()) {
                    out.writeFloat(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write market head to " + file, e);
        }
    }

    public static MarketHead read(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException(file + " is not an xmrec market head");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(file + " has market-head format " + version + ", this xmrec reads "
                        + VERSION);
            }
            String market = in.readUTF();
            String fp = in.readUTF();
            int n = in.readInt();
            Map<String, float[]> t = new LinkedHashMap<>();
            Map<String, long[]> s = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                long[] shape = new long[in.readInt()];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = in.readLong();
                }
                float[] data = new float[in.readInt()];
                for (int k = 0; k < data.length; k++) {
                    data[k] = in.readFloat();
                }
                t.put(name, data);
                s.put(name, shape);
            }
            return new MarketHead(market, fp, t, s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read market head from " + file + ": " + e.getMessage(), e);
        }
    }
}
