package io.xmrec.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;

/**
 * Dead letters that always fit their topic: key and value are kept whole up to a bound and cut
 * beyond it (flagged, with the sizes as read), so one oversized bad record cannot make the
 * dead-letter write itself fail and stop the part that rejected it.
 */
public final class DeadLetters {

    /** The most of a value a dead letter keeps: the producer's requests stay well under 1 MiB. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;
    /** The most of a key a dead letter keeps. */
    public static final int MAX_KEY_BYTES = 16 * 1024;

    private DeadLetters() {
    }

    /** The dead letter of a record read at {@code topic/partition@offset} (key and value as read, may be null). */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, String errorClass,
                                String reason, String stage, long timeMillis) {
        byte[] k = cut(key, MAX_KEY_BYTES);
        byte[] v = cut(value, MAX_VALUE_BYTES);
        return DeadLetter.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)
                .setKey(k == null ? null : ByteBuffer.wrap(k)).setValue(v == null ? null : ByteBuffer.wrap(v))
                .setErrorClass(errorClass).setReason(reason.length() > 2000 ? reason.substring(0, 2000) + "..." : reason)
                .setStage(stage).setTime(Instant.ofEpochMilli(timeMillis)).setTruncated(k != key || v != value)
                .setKeySize(key == null ? -1 : key.length).setValueSize(value == null ? -1 : value.length).build();
    }

    /** The first {@code max} bytes, or the array itself when it fits. */
    public static byte[] cut(byte[] b, int max) {
        return b == null || b.length <= max ? b : Arrays.copyOf(b, max);
    }
}
