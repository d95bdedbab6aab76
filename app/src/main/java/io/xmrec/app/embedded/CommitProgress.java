package io.xmrec.app.embedded;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * How far a consumer group has committed, sampled while a job runs. The holdout job's source commits its offsets at
 * each completed checkpoint, after the sinks' transactions of that checkpoint are prepared: a committed input record
 * is one whose outputs are in, exactly once. From the samples: when the first commit came (start-up and the first
 * checkpoint) and the steady rate between 10% and 90% of what was committed in the end, from the moments the commits
 * were first seen (so the interval between checkpoints does not bias it).
 */
public final class CommitProgress implements AutoCloseable {

    /** One sample: seconds since the start, input records committed since the start. */
    public record Sample(double seconds, long committed) {
    }

    /**
     * What the samples say. {@code firstCommitSeconds}: when the first input was committed (NaN if never);
     * {@code steadyPerSecond}: input records per second between 10% and 90% of {@code committed} (NaN with fewer
     * than two samples in that range).
     */
    public record Summary(long committed, double firstCommitSeconds, double steadyPerSecond) {
    }

    private final Admin admin;
    private final String group;
    private final long startNanos = System.nanoTime();
    private final long baseline;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    private CommitProgress(Admin admin, String group, long everyMillis) {
        this.admin = admin;
        this.group = group;
        this.baseline = committed();
        this.thread = new Thread(() -> {
            while (!closed) {
                try {
                    Thread.sleep(everyMillis);
                    sample();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the broker may be busy; the next sample tries again
                }
            }
        }, "commit-progress");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts sampling {@code group}'s committed offsets every {@code everyMillis}, from what it has committed now. */
    public static CommitProgress start(String bootstrap, Map<String, Object> clientProps, String group, long everyMillis) {
        Properties p = new Properties();
        p.putAll(clientProps);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return new CommitProgress(Admin.create(p), group, everyMillis);
    }

    private long committed() {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            return offsets.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of " + group, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the offsets of " + group + ": " + e.getMessage(), e);
        }
    }

    private void sample() {
        long c = committed() - baseline;
        synchronized (samples) {
            samples.add(new Sample((System.nanoTime() - startNanos) / 1e9, c));
        }
    }

    /** Samples so far, oldest first. */
    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Stops sampling after one last sample, and summarises. */
    public Summary finish() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        return summarise(samples());
    }

    /** The summary of {@code samples} (oldest first). */
    static Summary summarise(List<Sample> samples) {
        if (samples.isEmpty()) {
            return new Summary(0, Double.NaN, Double.NaN);
        }
        long total = samples.get(samples.size() - 1).committed();
        double first = Double.NaN;
        Sample from = null;
        Sample to = null;
        long previous = 0;
        for (Sample s : samples) {
            if (s.committed() <= previous) {
                continue; // commits come at checkpoints: a step counts when it is first seen, not on its plateau
            }
            previous = s.committed();
            if (Double.isNaN(first)) {
                first = s.seconds();
            }
            if (from == null && s.committed() >= 0.1 * total) {
                from = s;
            }
            if (s.committed() <= 0.9 * total) {
                to = s;
            }
        }
        double steady = from != null && to != null && to.seconds() > from.seconds()
                ? (to.committed() - from.committed()) / (to.seconds() - from.seconds()) : Double.NaN;
        return new Summary(total, first, steady);
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        admin.close();
    }
}
