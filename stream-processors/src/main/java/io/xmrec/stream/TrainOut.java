package io.xmrec.stream;

/** An interaction promoted to training (a Flink POJO; becomes a TrainingInteraction on xmrec.train). */
public class TrainOut {
    public String market;
    public String user;
    public String item;
    public float rating;
    public long eventTime;
    public String eventId;
    public long arrival;

    public TrainOut() {
    }
}
