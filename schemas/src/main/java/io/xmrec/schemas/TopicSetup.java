package io.xmrec.schemas;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * xmrec's topics and their configs: per-market review topics, {@code xmrec.train},
 * compacted {@code xmrec.holdouts}, {@code xmrec.models} and {@code xmrec.forks} (records up to a
 * market model's size), {@code xmrec.metrics}, {@code xmrec.deadletter}, {@code xmrec.updates}. Creating is idempotent.
 */
public final class TopicSetup {

    /** Record size limit of the model topic: a market model (tables of users and items) must fit. */
    public static final int MODEL_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /**
     * How long model deltas are kept: far longer than the snapshot interval, so a client starting
     * from the newest snapshot always finds the deltas after it.
     */
    public static final long DELTA_RETENTION_MS = 7L * 24 * 3600 * 1000;

    private TopicSetup() {
    }

    /** Name -> config of every topic for these markets. */
    public static Map<String, Map<String, String>> topics(List<String> markets) {
        Map<String, Map<String, String>> t = new LinkedHashMap<>();
        for (String m : markets) {
            t.put(Topics.reviews(m), Map.of());
        }
        t.put(Topics.TRAIN, Map.of());
        t.put(Topics.HOLDOUTS, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        t.put(Topics.MODELS, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MODEL_MAX_MESSAGE_BYTES)));
        t.put(Topics.MODEL_DELTAS, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(DELTA_RETENTION_MS),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MODEL_MAX_MESSAGE_BYTES)));
        t.put(Topics.FORKS, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MODEL_MAX_MESSAGE_BYTES)));
        t.put(Topics.METRICS, Map.of());
        t.put(Topics.DEADLETTER, Map.of());
        t.put(Topics.UPDATES, Map.of());
        return t;
    }

    /** Creates the missing topics (partitions per topic as given; replication = the broker's default). */
    public static void create(String bootstrap, Map<String, Object> clientProps, List<String> markets, int partitions) {
        Reachability.broker(bootstrap, clientProps, Reachability.WITHIN);
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> all = new ArrayList<>();
            topics(markets).forEach((name, cfg) -> all.add(
                    new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(cfg)));
            admin.createTopics(all).values().forEach((name, f) -> {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name + " on " + bootstrap + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("cannot create topic " + name + " on " + bootstrap + ": "
                            + e.getMessage(), e);
                }
            });
            awaitLeaders(admin, all.stream().map(NewTopic::name).toList(), bootstrap);
        }
    }

    /**
     * Waits until every partition of the topics has a leader: a producer that writes the moment a
     * topic exists can otherwise meet a broker that does not lead the partition yet.
     */
    private static void awaitLeaders(Admin admin, List<String> names, String bootstrap) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                boolean ready = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("topics on " + bootstrap + " not described: " + e.getCause(), e);
                }
            } catch (Exception e) {
                throw new IllegalStateException("topics on " + bootstrap + " not described: " + e, e);
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("partitions of " + names + " on " + bootstrap + " have no leader after 30 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topic leaders", e);
            }
        }
    }
}
