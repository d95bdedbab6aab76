package io.xmrec.schemas.registry;

import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Avro specific records in the Confluent wire format: magic byte 0, the 4-byte big-endian schema
 * id of the registry, then the Avro binary encoding. Values are registered under the subject
 * {@code <topic>-value}; reading resolves the writer's schema (by id) against the reader's class,
 * so records written with an older compatible schema are read with the current one.
 */
public final class AvroSerde {

    public static final byte MAGIC = 0;
    public static final int HEADER = 5;

    /**
     * Avro's decoder allocates what a length prefix claims before reading it: without limits an
     * 11-byte record claiming a 2 GiB string exhausts the heap. These bounds (Avro's own system
     * properties, unless set already) make such a record a decoding error; they are far above
     * anything xmrec writes (the largest value is a model record, capped by the topic's message size).
     */
    static final Map<String, String> LIMITS = Map.of(
            "org.apache.avro.limits.string.maxLength", Integer.toString(16 << 20),
            "org.apache.avro.limits.bytes.maxLength", Integer.toString(io.xmrec.schemas.TopicSetup.MODEL_MAX_MESSAGE_BYTES),
            "org.apache.avro.limits.collectionItems.maxLength", Integer.toString(16 << 20));

    static {
        LIMITS.forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
    }

    private final SchemaRegistry registry;
    private final Map<Schema, SpecificDatumWriter<SpecificRecord>> writers = new ConcurrentHashMap<>();
    private final Map<String, SpecificDatumReader<?>> readers = new ConcurrentHashMap<>();

    public AvroSerde(SchemaRegistry registry) {
        this.registry = registry;
    }

    public SchemaRegistry registry() {
        return registry;
    }

    /** Encodes a record for {@code topic}, registering its schema under {@code <topic>-value} on first use. */
    public byte[] serialize(String topic, SpecificRecord record) {
        Schema schema = record.getSchema();
        int id = registry.register(topic + "-value", schema);
        SpecificDatumWriter<SpecificRecord> w = writers.computeIfAbsent(schema,
                s -> new SpecificDatumWriter<>(s, SpecificData.getForSchema(s)));
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.write(MAGIC);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            w.write(record, enc);
            enc.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerdeException("encode", "cannot encode " + schema.getFullName() + " for topic " + topic + ": "
                    + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The schema id of a wire-format record, checking the header. */
    public static int schemaId(byte[] bytes) {
        if (bytes == null) {
            throw new SerdeException("bad-bytes", "record value is null (a tombstone?)", null);
        }
        if (bytes.length < HEADER) {
            throw new SerdeException("bad-bytes", "record of " + bytes.length
                    + " bytes is shorter than the 5-byte Confluent wire-format header", null);
        }
        if (bytes[0] != MAGIC) {
            throw new SerdeException("bad-bytes", String.format(
                    "record starts with byte 0x%02x, not the Confluent wire-format magic byte 0x00", bytes[0]), null);
        }
        return ByteBuffer.wrap(bytes, 1, 4).getInt();
    }

    /** Decodes a wire-format record as {@code type}, resolving the writer's schema against it. */
    public <T extends SpecificRecord> T deserialize(byte[] bytes, Class<T> type) {
        int id = schemaId(bytes);
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (RegistryException e) {
            if (e.status() == 404) {
                throw new SerdeException("unknown-schema", "schema id " + id + " is not in the registry "
                        + registry.url(), e);
            }
            throw new SerdeException("registry", "cannot fetch schema id " + id + ": " + e.getMessage(), e);
        }
        Schema reader = SpecificData.get().getSchema(type);
        @SuppressWarnings("unchecked")
        SpecificDatumReader<T> r = (SpecificDatumReader<T>) readers.computeIfAbsent(id + "/" + type.getName(), k -> {
            SchemaCompatibility.SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            if (c.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SerdeException("incompatible", "schema id " + id + " (" + writer.getFullName()
                        + ") cannot be read as " + type.getSimpleName() + ": " + c.getDescription(), null);
            }
            return new SpecificDatumReader<>(writer, reader, SpecificData.getForClass(type));
        });
        BinaryDecoder dec = DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, null);
        try {
            T value = r.read(null, dec);
            if (!dec.isEnd()) {
                throw new SerdeException("decode", (bytes.length - HEADER) + "-byte body of schema id " + id
                        + " has bytes left over after the " + writer.getName() + " record", null);
            }
            return value;
        } catch (IOException | AvroTypeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerdeException("decode", "cannot decode " + (bytes.length - HEADER) + " bytes with schema id "
                    + id + " (" + writer.getFullName() + "): " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e instanceof SerdeException) {
                throw e;
            }
            throw new SerdeException("decode", "cannot decode " + (bytes.length - HEADER) + " bytes with schema id "
                    + id + " (" + writer.getFullName() + "): " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // a length or nesting the record cannot hold: the allocation failed, nothing was kept
            throw new SerdeException("decode", "cannot decode " + (bytes.length - HEADER) + " bytes with schema id "
                    + id + " (" + writer.getFullName() + "): it claims more than it holds ("
                    + e.getClass().getSimpleName() + ")", null);
        }
    }
}
