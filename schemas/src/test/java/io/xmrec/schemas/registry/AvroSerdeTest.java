package io.xmrec.schemas.registry;

import io.xmrec.schemas.ReviewEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding is bounded: a record claiming more than it holds is a {@link SerdeException}, never an Error. */
class AvroSerdeTest {

    private final AvroSerde serde = new AvroSerde(new InMemorySchemaRegistry());

    private static ReviewEvent review() {
        return ReviewEvent.newBuilder().setMarket("de").setUser("u1").setItem("i1").setRating(5f)
                .setEventTime(Instant.parse("2016-06-13T00:00:00Z")).build();
    }

    /** The 5-byte header of a valid record followed by {@code body}. */
    private byte[] withBody(byte[] valid, byte[] body) {
        byte[] out = Arrays.copyOf(valid, AvroSerde.HEADER + body.length);
        System.arraycopy(body, 0, out, AvroSerde.HEADER, body.length);
        return out;
    }

    /** Avro's zig-zag varint of a long. */
    private static byte[] varint(long v) {
        long z = (v << 1) ^ (v >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    @Test
    void roundTrip() {
        byte[] b = serde.serialize("xmrec.reviews.de", review());
        assertEquals(review(), serde.deserialize(b, ReviewEvent.class));
    }

    @Test
    void aLengthPrefixClaimingGigabytesIsABadRecordNotAnOutOfMemoryError() {
        byte[] valid = serde.serialize("xmrec.reviews.de", review());
        for (long claim : new long[] {Integer.MAX_VALUE, 1L << 30, 100L << 20, -5}) {
            byte[] evil = withBody(valid, concat(varint(claim), "abc".getBytes()));
            SerdeException e = assertThrows(SerdeException.class, () -> serde.deserialize(evil, ReviewEvent.class),
                    "claim " + claim);
            assertTrue(e.getMessage().contains("cannot decode"), e.getMessage());
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
