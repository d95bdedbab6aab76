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
    private transient MapState<String, Boolean> seen;

    public Deduplicate(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext ctx) {
        MapStateDescriptor<String, Boolean> d = new MapStateDescriptor<>("seen", String.class, Boolean.class);
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getMapState(d);
    }

    @Override
    public void processElement(Review r, Context ctx, Collector<Review> out) throws Exception {
        String id = r.dedupKey();
        if (seen.contains(id)) {
            ctx.output(ParseReviews.REJECTED, Rejected.of(r.raw, "duplicate",
                    "event id " + r.eventId + " was already processed (re-delivered record)", "holdouts/dedup"));
            return;
        }
        seen.put(id, Boolean.TRUE);
        out.collect(r);
    }
}
