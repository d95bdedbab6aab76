package io.xmrec.stream;

/**
 * The per-user state of the holdout operator (a Flink POJO): the two held-out events, the number
 * of training interactions and of arrivals. Constant-sized, whatever the user's history.
 */
public class UserHoldout {
    public Held valid;
    public Held test;
    public int trainCount;
    public long arrivals;

    public UserHoldout() {
    }

    /** A held-out event. */
    public static class Held {
        public String item;
        public float rating;
        public long eventTime;
        public String eventId;
        public long arrival;

        public Held() {
        }
    }
}
