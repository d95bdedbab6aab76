package io.xmrec.core.holdout;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits a market offline by replaying its file through one {@link RollingHoldout} per user, so
 * the offline split is by construction the split the streaming job keeps.
 */
public final class LeaveOneOutSplitter {

    /** The reference code drops users with fewer than 7 interactions. */
    public static final int DEFAULT_MIN_INTERACTIONS = 7;

    private final int minInteractions;

    public LeaveOneOutSplitter(int minInteractions) {
        if (minInteractions < 3) {
            throw new IllegalArgumentException("min interactions must be at least 3 (train, validation, test), got "
                    + minInteractions);
        }
        this.minInteractions = minInteractions;
    }

    public MarketSplit split(MarketData data) {
        return split(data.market(), data.interactions());
    }

    public MarketSplit split(String market, List<Interaction> interactions) {
        Map<String, RollingHoldout> holdouts = new TreeMap<>();
        Map<String, List<Interaction>> train = new TreeMap<>();
        for (Interaction e : interactions) {
            RollingHoldout.Update u = holdouts.computeIfAbsent(e.user(), k -> new RollingHoldout()).add(e);
            if (u.promoted() != null) {
                train.computeIfAbsent(e.user(), k -> new ArrayList<>()).add(u.promoted());
            }
        }
        List<UserSplit> users = new ArrayList<>(holdouts.size());
        int dropped = 0;
        for (Map.Entry<String, RollingHoldout> en : holdouts.entrySet()) {
            RollingHoldout h = en.getValue();
            if (!h.eligible(minInteractions)) {
                dropped++;
                continue;
            }
            List<Interaction> t = train.getOrDefault(en.getKey(), List.of());
            users.add(new UserSplit(en.getKey(), List.copyOf(t), h.validation().orElseThrow(), h.test().orElseThrow()));
        }
        return new MarketSplit(market, List.copyOf(users), dropped, minInteractions);
    }
}
