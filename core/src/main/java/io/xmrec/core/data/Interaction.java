package io.xmrec.core.data;

/**
 * One review event of a market: a user rated an item on a day.
 *
 * @param user    market-specific user id (XMarket's reviewer id)
 * @param item    item id (ASIN), shared across markets
 * @param rating  the star rating, 1..5; any rating counts as a positive interaction
 * @param epochDay event day as days since 1970-01-01 (the files carry dates only)
 * @param seq     position in the source (line number for files); breaks ties of equal days so
 *                that "keep input order" holds both offline and on a stream
 */
public record Interaction(String user, String item, float rating, long epochDay, long seq) {

    /** Event-time order of the protocol: day first, then source position. */
    public static int compareByTime(Interaction a, Interaction b) {
        int c = Long.compare(a.epochDay, b.epochDay);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    }
}
