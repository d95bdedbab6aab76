package io.xmrec.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** SHA-256 of data files and the {@code SHA256SUMS} list the public XMarket files are checked against. */
public final class Checksums {

    private Checksums() {
    }

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    public static String sha256Hex(Path file) {
        try {
            return sha256Hex(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to checksum it", e);
        }
    }

    /** The checksums shipped with xmrec, file name to hex SHA-256. */
    public static Map<String, String> shipped() {
        try (InputStream in = Checksums.class.getResourceAsStream("SHA256SUMS")) {
            if (in == null) {
                throw new IllegalStateException("SHA256SUMS resource missing from the xmrec-core jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses {@code sha256sum} output: "hex  name" per line. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String t = line.trim();
            if (t.isEmpty()) {
                continue;
            }
            String[] f = t.split("\\s+", 2);
            if (f.length != 2 || f[0].length() != 64) {
                throw new IllegalArgumentException("not a sha256sum line: '" + t + "'");
            }
            out.put(f[1].startsWith("*") ? f[1].substring(1) : f[1], f[0].toLowerCase());
        }
        return out;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
