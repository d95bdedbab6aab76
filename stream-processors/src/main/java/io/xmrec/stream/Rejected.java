package io.xmrec.stream;

/** A record that goes to the dead-letter topic, with the reason (a Flink POJO). */
public class Rejected {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;
    public String errorClass;
    public String reason;
    public String stage;
    public long time;

    public Rejected() {
    }

    public static Rejected of(RawRecord r, String errorClass, String reason, String stage) {
        Rejected x = new Rejected();
        x.topic = r.topic;
        x.partition = r.partition;
        x.offset = r.offset;
        x.key = r.key;
        x.value = r.value;
        x.errorClass = errorClass;
        x.reason = reason;
        x.stage = stage;
        x.time = System.currentTimeMillis();
        return x;
    }
}
