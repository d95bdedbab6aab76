package io.xmrec.app;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A Kafka cluster of real broker processes, each broker and KRaft controller in one JVM of Kafka's own
 * ({@code kafka.Kafka} from the app's {@code lib/}), as operators run it: replication factor 3,
 * {@code min.insync.replicas} 2, internal topics replicated alike, no unclean leader election. Each node
 * listens on its host (127.0.0.1 with ports of its own, or an address in a network namespace: the
 * {@code launcher} puts {@code ip netns exec NS} in front of the command). For {@link FaultBench} and
 * {@link BrokerFailureIT}, which kill and restart nodes.
 */
final class BrokerProcesses implements AutoCloseable {

    private final Path dir;
    private final Path lib;
    private final List<String> hosts;
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final IntFunction<List<String>> launcher;
    private final Process[] nodes;

    /**
     * Nodes 1..n at {@code hosts.get(i - 1)} with the given broker and controller ports; {@code launcher}
     * gives what goes in front of node i's java command (nothing, or a network namespace).
     */
    BrokerProcesses(Path dir, Path lib, List<String> hosts, int[] brokerPorts, int[] controllerPorts,
                    IntFunction<List<String>> launcher) {
        this.dir = dir;
        this.lib = lib;
        this.hosts = hosts;
        this.brokerPorts = brokerPorts;
        this.controllerPorts = controllerPorts;
        this.launcher = launcher;
        this.nodes = new Process[hosts.size() + 1];
    }

    int size() {
        return hosts.size();
    }

    String bootstrap() {
        List<String> s = new ArrayList<>();
        for (int i = 1; i <= size(); i++) {
            s.add(hosts.get(i - 1) + ":" + brokerPorts[i - 1]);
        }
        return String.join(",", s);
    }

    private Path config(int b) {
        return dir.resolve("broker-" + b + ".properties");
    }

    Path log(int b) {
        return dir.resolve("broker-" + b + ".log");
    }

    /** Writes every node's configuration and formats its storage with one new cluster id. */
    void format() throws IOException {
        Files.createDirectories(dir);
        // in this JVM (Kafka's server classes are on the test classpath), not a JVM per node: four fewer starts
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        StringBuilder voters = new StringBuilder();
        for (int i = 1; i <= size(); i++) {
            voters.append(i > 1 ? "," : "").append(i).append('@').append(hosts.get(i - 1)).append(':').append(controllerPorts[i - 1]);
        }
        for (int b = 1; b <= size(); b++) {
            String host = hosts.get(b - 1);
            Files.writeString(config(b), String.join("\n",
                    "node.id=" + b,
                    "process.roles=broker,controller",
                    "listeners=PLAINTEXT://" + host + ":" + brokerPorts[b - 1] + ",CONTROLLER://" + host + ":" + controllerPorts[b - 1],
                    "advertised.listeners=PLAINTEXT://" + host + ":" + brokerPorts[b - 1],
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "controller.quorum.voters=" + voters,
                    "log.dirs=" + dir.resolve("broker-" + b),
                    "default.replication.factor=3",
                    "min.insync.replicas=2",
                    "offsets.topic.replication.factor=3",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=3",
                    "transaction.state.log.min.isr=2",
                    "transaction.state.log.num.partitions=10",
                    "unclean.leader.election.enable=false",
                    "auto.create.topics.enable=false",
                    "group.initial.rebalance.delay.ms=0",
                    "message.max.bytes=" + (64 << 20),
                    "replica.fetch.max.bytes=" + (64 << 20),
                    "transaction.max.timeout.ms=900000", ""));
            Path fmtLog = dir.resolve("broker-" + b + "-format.log");
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int rc;
            try (java.io.PrintStream ps = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)) {
                rc = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config(b).toString()}, ps);
            } catch (RuntimeException e) {
                out.writeBytes(String.valueOf(e).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                rc = -1;
            }
            Files.write(fmtLog, out.toByteArray());
            if (rc != 0) {
                throw new IllegalStateException("formatting broker " + b + " failed: see " + fmtLog);
            }
        }
    }

    /** Starts (or restarts) node {@code b}; its output is appended to its log. */
    Process start(int b, List<String> jvmFlags) throws IOException {
        List<String> cmd = new ArrayList<>(launcher.apply(b));
        cmd.add(TestJvms.java());
        cmd.add("-Xmx768m");
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", lib + "/*", "kafka.Kafka", config(b).toString()));
        nodes[b] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(b).toFile())).start();
        return nodes[b];
    }

    Process node(int b) {
        return nodes[b];
    }

    /** SIGKILL: no clean shutdown, as when a machine dies. */
    void kill(int b) throws InterruptedException {
        nodes[b].destroyForcibly();
        nodes[b].waitFor(10, TimeUnit.SECONDS);
    }

    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
    }

    /** True when every partition of every topic (internal ones too) has a leader and all its replicas in sync. */
    boolean fullyReplicated() {
        try (Admin a = admin()) {
            Set<String> names = a.listTopics(new ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
            for (TopicDescription d : a.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() == null || p.isr().size() < p.replicas().size()) {
                        return false;
                    }
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The node leading a partition. */
    int leaderOf(String topic, int partition) throws Exception {
        try (Admin a = admin()) {
            return a.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions().get(partition).leader().id();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : nodes) {
            if (p != null) {
                p.destroy();
            }
        }
        for (Process p : nodes) {
            if (p != null && !p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
