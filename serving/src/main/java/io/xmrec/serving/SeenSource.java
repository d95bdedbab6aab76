package io.xmrec.serving;

import java.util.Set;

/** What users have reviewed and what markets sell, as of the newest event seen ({@link SeenItems}, or a test's map). */
public interface SeenSource {

    /** Every item the user has reviewed in the market (empty for an unknown user). */
    Set<String> items(String market, String user);

    /** Every item reviewed in the market: what it sells. */
    Set<String> catalogue(String market);

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
