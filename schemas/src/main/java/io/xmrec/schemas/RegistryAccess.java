package io.xmrec.schemas;

import io.xmrec.core.data.Markets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may register schemas under which subjects of a deployment's schema registry, derived from
 * {@link Access}: a role may register the value subject of each topic it writes, the topic setup
 * registers them all up front, everyone reads. The deployments run Karapace with an auth file made
 * of these ({@code xmrec registry-auth}); serving replicas and shops' clients log in as
 * {@link #READER}. The permissions are in Karapace's form: an operation ({@code Read}, or
 * {@code Write}, which implies Read) on resources matched from their start by a regular expression,
 * {@code Subject:<subject>} for a subject.
 */
public final class RegistryAccess {

    /** The registry user of every role that only reads schemas: serving replicas, shops' clients. */
    public static final String READER = "reader";

    /** One permission of a user, as Karapace's auth file writes it. */
    public record Permission(String operation, String resource) {
    }

    /** A registry user with its permissions. */
    public record User(String name, List<Permission> permissions) {
    }

    /**
     * Topics whose values are Avro in the Confluent wire format, so each has a value subject; a '*' ends a
     * prefix. Without the installation's prefix, as in {@link Access}.
     */
    static final Set<String> AVRO_TOPICS = Set.of(bare(Topics.REVIEWS_PREFIX) + "*", bare(Topics.TRAIN),
            bare(Topics.HOLDOUTS), bare(Topics.MODELS), bare(Topics.MODEL_DELTAS), bare(Topics.FORKS), bare(Topics.METRICS),
            bare(Topics.DEADLETTER), bare(Topics.UPDATES));

    private static String bare(String topic) {
        return topic.substring(Topics.PREFIX.length());
    }

    private RegistryAccess() {
    }

    /**
     * The registry users by name: one per role that registers (named as its role in {@link Access}),
     * then {@link #READER}. A writer may also read every subject, as decoding what it reads needs.
     */
    public static Map<String, User> users() {
        Map<String, User> out = new LinkedHashMap<>();
        Set<String> every = new TreeSet<>();
        Access.grants().forEach((role, g) -> {
            Set<String> subjects = writtenSubjects(g);
            every.addAll(subjects);
            if (!subjects.isEmpty()) {
                out.put(role, user(role, subjects));
            }
        });
        // the topic setup registers every schema up front, so that readers find them from the start
        out.put("topics", user("topics", every));
        out.put(READER, new User(READER, List.of(new Permission("Read", "Subject:.*"))));
        return out;
    }

    /** The registry user a role logs in as: its own when it registers schemas, else {@link #READER}. */
    public static String userOf(String role) {
        return users().containsKey(role) ? role : READER;
    }

    /** Value subjects (as regular expressions) of the Avro topics a grant writes. */
    static Set<String> writtenSubjects(Access.Grant g) {
        Set<String> out = new TreeSet<>();
        for (String w : g.writes()) {
            if (AVRO_TOPICS.contains(w)) {
                out.add(w.endsWith("*") ? escape(w.substring(0, w.length() - 1)) + Markets.CODE_REGEX : escape(w));
            }
        }
        return out;
    }

    private static User user(String name, Set<String> subjects) {
        List<Permission> p = new ArrayList<>();
        p.add(new Permission("Write", "Subject:(" + String.join("|", subjects) + ")" + escape(Topics.valueSubject("")) + "$"));
        p.add(new Permission("Read", "Subject:.*"));
        return new User(name, List.copyOf(p));
    }

    /** A literal in a regular expression that Java and Python read alike: a backslash before every non-alphanumeric. */
    static String escape(String literal) {
        StringBuilder b = new StringBuilder();
        for (char c : literal.toCharArray()) {
            if (!Character.isLetterOrDigit(c) && c != '_') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
