package io.xmrec.core.holdout;

import java.util.List;

/**
 * The leave-one-out split of a whole market.
 *
 * @param market       market code
 * @param users        the kept users, sorted by user id
 * @param droppedUsers users with fewer interactions than the minimum
 * @param minInteractions the minimum used
 */
public record MarketSplit(String market, List<UserSplit> users, int droppedUsers, int minInteractions) {

    public int trainInteractions() {
        int n = 0;
        for (UserSplit u : users) {
            n += u.train().size();
        }
        return n;
    }

    /** The split of the users {@code keep} accepts (the others count as dropped). */
    public MarketSplit withUsers(java.util.function.Predicate<String> keep) {
        List<UserSplit> kept = users.stream().filter(u -> keep.test(u.user())).toList();
        return new MarketSplit(market, kept, droppedUsers + users.size() - kept.size(), minInteractions);
    }
}
