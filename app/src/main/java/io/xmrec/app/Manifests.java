package io.xmrec.app;

import io.xmrec.schemas.Access;
import io.xmrec.schemas.TopicSetup;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The deployment files that follow from the code, written from it: Strimzi {@code KafkaTopic}s from
 * {@link TopicSetup#table} for a list of markets, Strimzi {@code KafkaUser}s and the Compose
 * deployment's ACL script from {@link Access}. {@code xmrec manifests} writes them; the copies in
 * {@code infra/base} and {@code docker/kafka} are its output for XMarket's markets (a test compares).
 */
final class Manifests {

    static final String TOPICS_YAML = "topics.yaml";
    static final String USERS_YAML = "users.yaml";
    static final String ACLS_SH = "acls.sh";

    private static final String WRITTEN = "Written by `xmrec manifests` from the code; change io.xmrec.schemas.TopicSetup or\n"
            + "# Access and run it again instead of editing this file.";

    private Manifests() {
    }

    /** A {@code KafkaTopic} per topic of the markets, with its configs. */
    static String topicsYaml(List<String> markets) {
        StringBuilder b = new StringBuilder("# xmrec's topics for markets " + String.join(", ", markets) + ".\n# " + WRITTEN + "\n");
        for (TopicSetup.Topic t : TopicSetup.table(markets)) {
            b.append("---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: ")
                    .append(t.name().replace('.', '-').replace('_', '-')).append("\n  labels:\n    strimzi.io/cluster: xmrec\n")
                    .append("spec:\n  topicName: ").append(t.name()).append("\n  partitions: 1\n  replicas: 1\n");
            if (!t.config().isEmpty()) {
                b.append("  config:\n");
                t.config().forEach((k, v) -> b.append("    ").append(k).append(": ").append(v).append('\n'));
            }
        }
        return b.toString();
    }

    /** A {@code KafkaUser} per role (SCRAM-SHA-512) with its ACLs, one entry per resource and its operations. */
    static String usersYaml() {
        StringBuilder b = new StringBuilder("# Kafka users per role (SCRAM-SHA-512) with their ACLs, as io.xmrec.schemas.Access "
                + "defines them. Strimzi keeps each\n# user's password and ready-made sasl.jaas.config in a Secret of the user's "
                + "name; the roles read it as KAFKA_SASL_JAAS_CONFIG.\n# " + WRITTEN + "\n");
        for (Map.Entry<String, Map<Access.Entry, Set<String>>> user : byUserAndResource().entrySet()) {
            b.append("---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaUser\nmetadata:\n  name: ").append(user.getKey())
                    .append("\n  labels:\n    strimzi.io/cluster: xmrec\nspec:\n  authentication:\n    type: scram-sha-512\n")
                    .append("  authorization:\n    type: simple\n    acls:\n");
            user.getValue().forEach((r, ops) -> b.append("      - resource: {type: ").append(r.resource()).append(", name: ")
                    .append(r.stem()).append(", patternType: ").append(r.prefixed() ? "prefix" : "literal")
                    .append("}\n        operations: [").append(String.join(", ", ops)).append("]\n"));
        }
        return b.toString();
    }

    /** The Compose deployment's ACLs: one {@code kafka-acls.sh --add} per user and resource. */
    static String aclsScript() {
        StringBuilder b = new StringBuilder("#!/bin/bash\n# The ACLs of every role's Kafka user, as io.xmrec.schemas.Access "
                + "defines them: each role writes only its own\n# outputs. Run by start-with-users.sh against the broker's "
                + "in-container listener: acls.sh HOST:PORT\n# " + WRITTEN + "\nset -euo pipefail\n"
                + "acl() { /opt/kafka/bin/kafka-acls.sh --bootstrap-server \"$1\" --add \"${@:2}\" >/dev/null; }\n");
        for (Map.Entry<String, Map<Access.Entry, Set<String>>> user : byUserAndResource().entrySet()) {
            user.getValue().forEach((r, ops) -> {
                b.append("acl \"$1\" --allow-principal User:").append(user.getKey());
                ops.forEach(op -> b.append(" --operation ").append(op));
                String kind = r.resource().equals("transactionalId") ? "transactional-id" : r.resource();
                b.append(" --").append(kind).append(' ').append(r.stem());
                if (r.prefixed()) {
                    b.append(" --resource-pattern-type prefixed");
                }
                b.append('\n');
            });
        }
        return b.toString();
    }

    /** user -> resource (an entry without its operation) -> operations, in Access's order. */
    private static Map<String, Map<Access.Entry, Set<String>>> byUserAndResource() {
        Map<String, Map<Access.Entry, Set<String>>> out = new LinkedHashMap<>();
        for (Access.Entry e : Access.entries()) {
            out.computeIfAbsent(e.user(), u -> new LinkedHashMap<>())
                    .computeIfAbsent(new Access.Entry(e.user(), e.resource(), e.name(), ""), r -> new LinkedHashSet<>())
                    .add(e.operation());
        }
        return out;
    }

    /** Every file by name, as {@code xmrec manifests} writes them: Kubernetes first, then Compose. */
    static Map<String, String> all(List<String> markets) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(TOPICS_YAML, topicsYaml(markets));
        out.put(USERS_YAML, usersYaml());
        out.put(ACLS_SH, aclsScript());
        return out;
    }

    /** The files {@code --kubernetes} writes; {@code --compose} writes the others. */
    static final Set<String> KUBERNETES_FILES = Set.of(TOPICS_YAML, USERS_YAML);
}
