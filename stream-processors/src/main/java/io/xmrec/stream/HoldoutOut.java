package io.xmrec.stream;

/** A user's current holdout (a Flink POJO; becomes a HoldoutState on xmrec.holdouts). */
public class HoldoutOut {
    public String market;
    public String user;
    public String validItem;
    public Long validTime;
    public String testItem;
    public long testTime;
    public int trainCount;
    public long version;

    public HoldoutOut() {
    }
}
