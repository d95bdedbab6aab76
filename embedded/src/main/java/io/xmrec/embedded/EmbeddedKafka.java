package io.xmrec.embedded;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.file.Path;

/**
 * A real single-node KRaft Kafka broker in this JVM (one combined broker + controller node,
 * started with Kafka's own cluster kit), for the embedded default and integration tests. Listens
 * on loopback; replication factors and min ISR are 1 and the initial consumer-group rebalance
 * delay is 0, as fits one node. Logs live under {@code dir} (deleted on close when it was a
 * temporary one).
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** Largest record the broker accepts; the model topic raises its own limit up to this. */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final KafkaClusterTestKit cluster;
    /** A directory this class created and deletes after the broker has stopped, or null. */
    private final Path ownDir;

    private EmbeddedKafka(KafkaClusterTestKit cluster, Path ownDir) {
        this.cluster = cluster;
        this.ownDir = ownDir;
    }

    /** Starts a broker with its logs under {@code dir}, or under a temporary directory when null. */
    public static EmbeddedKafka start(Path dir) {
        try {
            // Our own directory, deleted after close: the kit's temporary directories are removed by a JVM
            // shutdown hook that can run while the broker is still writing (Ctrl-C of the demo).
            Path own = dir == null ? java.nio.file.Files.createTempDirectory("xmrec-kafka") : null;
            TestKitNodes.Builder nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
                    .setNumControllerNodes(1).setBaseDirectory(dir != null ? dir : own);
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes.build())
                    .setDeleteOnClose(false)
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("min.insync.replicas", "1")
                    .setConfigProp("default.replication.factor", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                    .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                    .setConfigProp("auto.create.topics.enable", "false")
                    .setConfigProp("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES))
                    .setConfigProp("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES))
                    .setConfigProp("transaction.max.timeout.ms", "900000")
                    .build();
            java.io.PrintStream out = System.out;
            try {
                // the cluster kit prints its formatting steps to stdout, which is the CLI's output
                System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                cluster.format();
            } finally {
                System.setOut(out);
            }
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafka(cluster, own);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start the in-process Kafka broker: " + e.getMessage(), e);
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the in-process Kafka broker: " + e.getMessage(), e);
        } finally {
            if (ownDir != null) {
                try (var files = java.nio.file.Files.walk(ownDir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (java.io.IOException e) {
                    // a leftover temporary directory is not worth failing the stop for
                }
            }
        }
    }
}
