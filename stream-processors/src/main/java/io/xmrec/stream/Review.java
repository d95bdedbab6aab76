package io.xmrec.stream;

/** A valid review event with the raw record it came from (a Flink POJO). */
public class Review {
    public String market;
    public String user;
    public String item;
    public float rating;
    public long eventTime;
    public String eventId;
    public RawRecord raw;

    public Review() {
    }

    /** The key of the per-user state: market and user. */
    public String userKey() {
        return market + "|" + user;
    }

    /** The de-duplication id within a user: the event id, else the record's position (re-reads of one offset are duplicates). */
    public String dedupKey() {
        return eventId != null ? market + "|" + eventId : "@" + raw.position();
    }
}
