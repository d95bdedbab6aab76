package io.xmrec.stream;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Drops re-delivered events (same event id). Keyed by (market, user) like the holdout operator
 * after it, so a user's events keep their order through both; the ids are remembered for a
 * bounded time (state TTL per id). A duplicate goes to the dead-letter output so that every input
 * record stays accounted for.
 */
public class Deduplicate extends KeyedProcessFunction<String, Review, Review> {

    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient MapState<Long, Boolean> seen;

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
        MapStateDescriptor<Long, Boolean> d = new MapStateDescriptor<>("seen", Long.class, Boolean.class);
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getMapState(d);
    }

    @Override
    public void processElement(Review r, Context ctx, Collector<Review> out) throws Exception {
        long id = hash64(r.dedupKey());
        if (seen.contains(id)) {
            ctx.output(ParseReviews.REJECTED, Rejected.of(r.raw, "duplicate",
                    "event id " + r.eventId + " was already processed (re-delivered record)", "holdouts/dedup"));
            return;
        }
        seen.put(id, Boolean.TRUE);
        out.collect(r);
    }
}
