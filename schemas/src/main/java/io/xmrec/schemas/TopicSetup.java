package io.xmrec.schemas;

import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Collections;
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

    /**
     * One of xmrec's topics: its name, its configs (in a fixed order) and the Avro schema of its values
     * (registered under {@code NAME-value}).
     */
    public record Topic(String name, Map<String, String> config, Schema value) {
        public Topic {
            config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
        }
    }

    /**
     * Every topic for these markets, in one table: what {@code xmrec topics} creates and registers, and what
     * {@code xmrec manifests} writes for the deployments.
     */
    public static List<Topic> table(List<String> markets) {
        List<Topic> t = new ArrayList<>();
        for (String m : markets) {
            t.add(new Topic(Topics.reviews(m), Map.of(), ReviewEvent.getClassSchema()));
        }
        String models = Integer.toString(MODEL_MAX_MESSAGE_BYTES);
        t.add(new Topic(Topics.TRAIN, Map.of(), TrainingInteraction.getClassSchema()));
        t.add(new Topic(Topics.HOLDOUTS, config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT),
                HoldoutState.getClassSchema()));
        t.add(new Topic(Topics.MODELS, config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, models), ModelRecord.getClassSchema()));
        t.add(new Topic(Topics.MODEL_DELTAS, config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(DELTA_RETENTION_MS), TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                models), ModelDelta.getClassSchema()));
        t.add(new Topic(Topics.FORKS, config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, models), ModelRecord.getClassSchema()));
        t.add(new Topic(Topics.METRICS, Map.of(), EvaluationRecord.getClassSchema()));
        t.add(new Topic(Topics.DEADLETTER, Map.of(), DeadLetter.getClassSchema()));
        t.add(new Topic(Topics.UPDATES, Map.of(), UpdateEvent.getClassSchema()));
        return t;
    }

    private static Map<String, String> config(String... keyValues) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int k = 0; k < keyValues.length; k += 2) {
            out.put(keyValues[k], keyValues[k + 1]);
        }
        return out;
    }

    /** Name -> config of every topic for these markets. */
    public static Map<String, Map<String, String>> topics(List<String> markets) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        table(markets).forEach(x -> out.put(x.name(), x.config()));
        return out;
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
