package io.xmrec.model;

import io.xmrec.core.net.NetFile;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a market owns in a FOREC model (top MLP layers, head, output, item biases) with the
 * fingerprint of the trunk they were trained on. Heads are small and change often; the trunk is
 * large and changes rarely, so they are saved and shipped separately.
 */
public record MarketHead(String market, String trunkFingerprint, Map<String, float[]> tensors,
                         Map<String, int[]> shapes) {

    private static final int MAGIC = 0x584D5248; // "XMRH"
    private static final int VERSION = 2;

    /** Extracts the head of a forked model. */
    public static MarketHead of(String market, NcfModel forec, NcfModel trunk) {
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        Map<String, int[]> all = NetFile.tensorShapes(forec.net());
        for (String name : ForecFork.headTensors(forec.net().shape())) {
            t.put(name, forec.net().get(name).clone());
            s.put(name, all.get(name));
        }
        return new MarketHead(market, fingerprint(trunk), t, s);
    }

    /** Writes the head's tensors into a model forked from the same trunk. */
    public void applyTo(NcfModel forked, NcfModel trunk) {
        String fp = fingerprint(trunk);
        if (!fp.equals(trunkFingerprint)) {
            throw new IllegalArgumentException("head of market " + market + " was trained on trunk " + trunkFingerprint
                    + ", not on " + fp);
        }
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            float[] dst = forked.net().get(e.getKey());
            if (dst == null || dst.length != e.getValue().length) {
                throw new IllegalArgumentException("head tensor " + e.getKey() + " does not fit the forked model");
            }
            System.arraycopy(e.getValue(), 0, dst, 0, dst.length);
        }
    }

    /** SHA-256 of the trunk's tensors. */
    public static String fingerprint(NcfModel trunk) {
        return trunk.net().fingerprint();
    }

    public void write(Path file) {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(market);
            out.writeUTF(trunkFingerprint);
            NetFile.writeTensors(out, tensors, shapes);
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
            Map<String, int[]> s = new LinkedHashMap<>();
            Map<String, float[]> t = NetFile.readTensors(in, s, file.toString());
            return new MarketHead(market, fp, t, s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read market head from " + file + ": " + e.getMessage(), e);
        }
    }
}
