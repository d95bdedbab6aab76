package io.xmrec.stream;

/** A record as read from a review topic, before anything is known about its bytes (a Flink POJO). */
public class RawRecord {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;

    public RawRecord() {
    }

    public RawRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
    }

    /** Where it came from, for messages. */
    public String position() {
        return topic + "/" + partition + "@" + offset;
    }
}
