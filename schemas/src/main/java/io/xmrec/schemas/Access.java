package io.xmrec.schemas;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may write and read which topic: the one definition the deployments' Kafka users and ACLs
 * follow (infra/base/users.yaml, docker/kafka/acls.sh: written from this by {@code xmrec manifests}).
 * Each role writes only its own outputs; a shop's client writes reviews and reads models.
 */
public final class Access {

    /**
     * A principal (Kafka user): the topic names (or prefixes ending in '*') it writes, reads and may
     * create, and the prefixes of the consumer groups and transactional ids it uses.
     */
    public record Grant(String user, Set<String> writes, Set<String> reads, Set<String> creates, Set<String> groups,
                        Set<String> transactionalIds) {
    }

    /**
     * One ACL entry: {@code user} may do {@code operation} (Write, Read, Describe, Create) on a
     * {@code resource} (topic, group, transactionalId) named {@code name}, or on every name starting
     * with it when it ends in '*'.
     */
    public record Entry(String user, String resource, String name, String operation) {
        public boolean prefixed() {
            return name.endsWith("*");
        }

        /** The name without the trailing '*' of a prefix. */
        public String stem() {
            return prefixed() ? name.substring(0, name.length() - 1) : name;
        }

        @Override
        public String toString() {
            return user + " " + resource + " " + name + " " + operation;
        }
    }

    private Access() {
    }

    /**
     * The ACL entries the grants come to: a write, read or create of a topic also describes it;
     * groups are read by prefix, transactional ids written and described by prefix.
     */
    public static java.util.List<Entry> entries() {
        java.util.List<Entry> out = new java.util.ArrayList<>();
        for (Grant g : grants().values()) {
            String u = g.user();
            g.writes().forEach(t -> out.addAll(List.of(new Entry(u, "topic", t, "Write"), new Entry(u, "topic", t, "Describe"))));
            g.reads().forEach(t -> out.addAll(List.of(new Entry(u, "topic", t, "Read"), new Entry(u, "topic", t, "Describe"))));
            g.creates().forEach(t -> out.addAll(List.of(new Entry(u, "topic", t, "Create"), new Entry(u, "topic", t, "Describe"))));
            g.groups().forEach(x -> out.add(new Entry(u, "group", x + "*", "Read")));
            g.transactionalIds().forEach(x -> out.addAll(List.of(new Entry(u, "transactionalId", x + "*", "Write"),
                    new Entry(u, "transactionalId", x + "*", "Describe"))));
        }
        return out;
    }

    /** Every role's grant, by role name; topic names without the installation's prefix. */
    public static Map<String, Grant> grants() {
        Map<String, Grant> g = new LinkedHashMap<>();
        String reviews = "xmrec.reviews.*";
        g.put("topics", grant("xmrec-topics", List.of(), List.of(), List.of("xmrec.*"), List.of(), List.of()));
        g.put("holdouts", grant("xmrec-holdouts", List.of("xmrec.train", "xmrec.holdouts", "xmrec.deadletter"),
                List.of(reviews), List.of(), List.of("xmrec-holdouts"), List.of("xmrec-holdouts")));
        g.put("updater", grant("xmrec-updater", List.of("xmrec.models", "xmrec.model-deltas", "xmrec.forks",
                "xmrec.updates"), List.of("xmrec.train", "xmrec.holdouts", "xmrec.forks", "xmrec.models",
                "xmrec.model-deltas", reviews), List.of(), List.of("xmrec-updater"), List.of("xmrec-updater-")));
        g.put("evaluator", grant("xmrec-evaluator", List.of("xmrec.metrics", "xmrec-evaluator*"), List.of(reviews,
                "xmrec.train", "xmrec.holdouts", "xmrec.models", "xmrec.model-deltas", "xmrec.updates",
                "xmrec.deadletter", "xmrec.metrics", "xmrec-evaluator*"), List.of("xmrec-evaluator*"),
                List.of("xmrec-evaluator"), List.of()));
        g.put("serve", grant("xmrec-serve", List.of(), List.of("xmrec.models", "xmrec.model-deltas", reviews), List.of(),
                List.of(), List.of()));
        // the registry's group: Karapace elects its primary in it (xmrec's own registry uses none)
        g.put("registry", grant("xmrec-registry", List.of("_schemas"), List.of("_schemas"), List.of("_schemas"),
                List.of("xmrec-registry"), List.of()));
        g.put("ingest", grant("xmrec-ingest", List.of(reviews), List.of(), List.of(), List.of(), List.of()));
        g.put("client", grant("xmrec-client", List.of(reviews), List.of("xmrec.models", "xmrec.model-deltas"),
                List.of(), List.of("xmrec-client"), List.of()));
        return g;
    }

    private static Grant grant(String user, List<String> writes, List<String> reads, List<String> creates,
                               List<String> groups, List<String> transactionalIds) {
        return new Grant(user, new TreeSet<>(writes), new TreeSet<>(reads), new TreeSet<>(creates), new TreeSet<>(groups),
                new TreeSet<>(transactionalIds));
    }
}
