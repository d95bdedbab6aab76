package io.xmrec.serving;

import java.util.Set;

/** What users have reviewed and what markets sell, as of the newest event seen ({@link SeenItems}, or a test's map). */
public interface SeenSource {

    /** Every item the user has reviewed in the market (empty for an unknown user). */
    Set<String> items(String market, String user);

    /** Every item reviewed in the market: what it sells. */
    Set<String> catalogue(String market);

    /**
     * What maps hold (a test's or a benchmark's): each user's reviewed items under "market|user", each market's
     * catalogue under its code; read as they are at each call.
     */
    static SeenSource of(java.util.Map<String, Set<String>> byMarketAndUser, java.util.Map<String, Set<String>> sold) {
        return new SeenSource() {
            @Override
            public Set<String> items(String market, String user) {
                return byMarketAndUser.getOrDefault(market + "|" + user, Set.of());
            }

            @Override
            public Set<String> catalogue(String market) {
                return sold.getOrDefault(market, Set.of());
            }
        };
    }

    /** Nothing seen: serving then relies on the model's own catalogue and knows no purchases beyond it. */
    SeenSource NONE = new SeenSource() {
        @Override
        public Set<String> items(String market, String user) {
            return Set.of();
        }

        @Override
        public Set<String> catalogue(String market) {
            return Set.of();
        }
    };
}
