package io.xmrec.stream;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Drops re-delivered events (same event id). Keyed by (market, user) like the holdout operator
 * after it, so a user's events keep their order through both; the ids are remembered for a
 * bounded time. A duplicate goes to the dead-letter output so that every input record stays
 * accounted for.
 *
 * <p>The state of a user is one array of (id hash, time first seen) pairs, pruned of pairs older than
 * the time to live whenever the user's next event comes: the user's state is read for every event
 * anyway, and Flink's per-entry state TTL (a map state whose every value is wrapped with its time,
 * cleaned incrementally on every access) cost about a third of the job's time.
 */
public class Deduplicate extends KeyedProcessFunction<String, Review, Review> {

    private static final long serialVersionUID = 1L;

    /** The error class of a re-delivered event's dead letter (what audits count as a re-delivery, not a loss). */
    public static final String ERROR_CLASS = "duplicate";

    private final Duration ttl;
    private transient ValueState<long[]> seen;

    public Deduplicate(Duration ttl) {
        this.ttl = ttl;
    }

    /**
     * A 64-bit hash of an event id (FNV-1a, then MurmurHash3's finaliser): the state keeps 8 bytes per id
     * instead of the string, which checkpoints serialised in full. Two ids of one user collide with
     * probability about n^2 / 2^65 for n ids of that user.
     */
    static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    @Override
    public void open(OpenContext ctx) {
        seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen-ids",
                PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(Review r, Context ctx, Collector<Review> out) throws Exception {
        long id = hash64(r.dedupKey());
        long now = ctx.timerService().currentProcessingTime();
        long[] stored = seen.value();
        long[] s = prune(stored, now - ttl.toMillis());
        if (contains(s, id)) {
            if (s != stored) {
                seen.update(s);
            }
            ctx.output(ParseReviews.REJECTED, Rejected.of(r.raw, ERROR_CLASS,
                    "event id " + r.eventId + " was already processed (re-delivered record)", "holdouts/dedup"));
            return;
        }
        seen.update(add(s, id, now));
        out.collect(r);
    }

    static boolean contains(long[] s, long id) {
        if (s != null) {
            for (int i = 0; i < s.length; i += 2) {
                if (s[i] == id) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The pairs first seen at or after {@code oldest} (the array itself when none is older). */
    static long[] prune(long[] s, long oldest) {
        if (s == null) {
            return new long[0];
        }
        int keep = 0;
        for (int i = 1; i < s.length; i += 2) {
            if (s[i] >= oldest) {
                keep++;
            }
        }
        if (keep * 2 == s.length) {
            return s;
        }
        long[] out = new long[keep * 2];
        int k = 0;
        for (int i = 0; i < s.length; i += 2) {
            if (s[i + 1] >= oldest) {
                out[k++] = s[i];
                out[k++] = s[i + 1];
            }
        }
        return out;
    }

    static long[] add(long[] s, long id, long time) {
        long[] out = java.util.Arrays.copyOf(s, s.length + 2);
        out[s.length] = id;
        out[s.length + 1] = time;
        return out;
    }
}
