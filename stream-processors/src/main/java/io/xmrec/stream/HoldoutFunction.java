package io.xmrec.stream;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.holdout.RollingHoldout;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The rolling leave-one-out per (market, user), with the same {@link RollingHoldout} the offline
 * split uses: a new event becomes the test item, the old test item the validation item, and the
 * old validation item is promoted to training (main output); a late event is placed by event time
 * and may go straight to training. The user's state after every event (held-out pair, training
 * count, version = events seen) is emitted on {@link #HOLDOUTS}, a compacted topic downstream.
 *
 * <p>Order: event time, then arrival. XMarket has dates only, so same-day events of a user keep
 * their arrival order, which the replay makes the file order, as the offline split does.
 */
public class HoldoutFunction extends KeyedProcessFunction<String, Review, TrainOut> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<HoldoutOut> HOLDOUTS = new OutputTag<>("holdouts") { };

    static final long DAY = 86_400_000L;
    private static final int ARRIVAL_BITS = 24;

    private transient ValueState<UserHoldout> state;

    @Override
    public void open(OpenContext ctx) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("holdout", UserHoldout.class));
    }

    /** Event time and arrival as the (day, seq) order of {@link Interaction}. */
    static Interaction interaction(String user, UserHoldout.Held h) {
        long day = Math.floorDiv(h.eventTime, DAY);
        long seq = (Math.floorMod(h.eventTime, DAY) << ARRIVAL_BITS) | (h.arrival & ((1L << ARRIVAL_BITS) - 1));
        return new Interaction(user, h.item, h.rating, day, seq);
    }

    @Override
    public void processElement(Review r, Context ctx, Collector<TrainOut> out) throws Exception {
        UserHoldout s = state.value();
        if (s == null) {
            s = new UserHoldout();
        }
        UserHoldout.Held e = new UserHoldout.Held();
        e.item = r.item;
        e.rating = r.rating;
        e.eventTime = r.eventTime;
        e.eventId = r.eventId;
        e.arrival = s.arrivals++;

        Interaction ie = interaction(r.user, e);
        Interaction iv = s.valid == null ? null : interaction(r.user, s.valid);
        Interaction it = s.test == null ? null : interaction(r.user, s.test);
        RollingHoldout h = RollingHoldout.restore(iv, it, s.trainCount);
        RollingHoldout.Update u = h.add(ie);

        // map the holdout's interactions back to the held events they came from
        UserHoldout.Held promoted = u.promoted() == null ? null : u.promoted() == ie ? e : s.valid;
        UserHoldout.Held newValid = pick(h.validation().orElse(null), ie, e, iv, s.valid, it, s.test);
        UserHoldout.Held newTest = pick(h.test().orElse(null), ie, e, iv, s.valid, it, s.test);
        s.valid = newValid;
        s.test = newTest;
        s.trainCount = h.trainCount();
        state.update(s);

        if (promoted != null) {
            TrainOut t = new TrainOut();
            t.market = r.market;
            t.user = r.user;
            t.item = promoted.item;
            t.rating = promoted.rating;
            t.eventTime = promoted.eventTime;
            t.eventId = promoted.eventId;
            t.arrival = promoted.arrival;
            out.collect(t);
        }
        // every event changes the state (at least its version and maybe the training count): emit it
        HoldoutOut o = new HoldoutOut();
        o.market = r.market;
        o.user = r.user;
        o.validItem = s.valid == null ? null : s.valid.item;
        o.validTime = s.valid == null ? null : s.valid.eventTime;
        o.testItem = s.test.item;
        o.testTime = s.test.eventTime;
        o.trainCount = s.trainCount;
        o.version = s.arrivals;
        ctx.output(HOLDOUTS, o);
    }

    private static UserHoldout.Held pick(Interaction which, Interaction a, UserHoldout.Held ha, Interaction b,
                                         UserHoldout.Held hb, Interaction c, UserHoldout.Held hc) {
        if (which == null) {
            return null;
        }
        if (which == a) {
            return ha;
        }
        if (which == b) {
            return hb;
        }
        if (which == c) {
            return hc;
        }
        throw new IllegalStateException("holdout holds an interaction it was not given");
    }
}
