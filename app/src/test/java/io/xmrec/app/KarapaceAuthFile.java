package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmrec.schemas.Access;
import io.xmrec.schemas.RegistryAccess;
import io.xmrec.schemas.Topics;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Karapace auth file read as Karapace reads it (karapace/core/auth.py of 6.2.0): a user logs in when
 * the hash of the password with the user's salt equals the stored one; an entry lets a user Read when
 * it names the user and its resource pattern matches the resource from its start (Python's
 * {@code re.match}), and Write only when the entry is a Write.
 */
record KarapaceAuthFile(JsonNode root) {

    static KarapaceAuthFile parse(String json) throws IOException {
        return new KarapaceAuthFile(new ObjectMapper().readTree(json));
    }

    boolean authenticates(String user, String password) {
        for (JsonNode u : root.get("users")) {
            if (u.get("username").asText().equals(user)) {
                assertEquals("sha512", u.get("algorithm").asText(), "the algorithm this check knows");
                return RegistryAuthCommand.hash(password, u.get("salt").asText()).equals(u.get("password_hash").asText());
            }
        }
        return false;
    }

    boolean allows(String user, String operation, String resource) {
        for (JsonNode p : root.get("permissions")) {
            if (p.get("username").asText().equals(user)
                    && (operation.equals("Read") || p.get("operation").asText().equals("Write"))
                    && Pattern.compile(p.get("resource").asText()).matcher(resource).lookingAt()) {
                return true;
            }
        }
        return false;
    }

    /** Value subjects of every kind of Avro topic, with review topics of markets of several shapes. */
    static final List<String> TOPICS = List.of(Topics.reviews("us"), Topics.reviews("es-b2b"), Topics.reviews("de"),
            Topics.TRAIN, Topics.HOLDOUTS, Topics.DEADLETTER, Topics.MODELS, Topics.MODEL_DELTAS, Topics.FORKS,
            Topics.UPDATES, Topics.METRICS);

    /** Whether Access lets a role write a topic (a name, or a prefix ending in '*'). */
    static boolean writes(String role, String topic) {
        Access.Grant g = Access.grants().get(role);
        return g != null && g.writes().stream().anyMatch(w -> w.endsWith("*")
                ? topic.startsWith(w.substring(0, w.length() - 1)) : w.equals(topic));
    }

    /**
     * A role's registry URL logs in with this file, as the role's registry user, which may register the
     * value subject of exactly the topics the role writes (every one for the topic setup) and read all.
     */
    void assertRoleMayRegisterItsOwn(String role, String registryUrl, String where) {
        String info = URI.create(registryUrl).getRawUserInfo();
        assertTrue(info != null && info.contains(":"), where + ": the registry URL carries credentials: " + registryUrl);
        String user = info.substring(0, info.indexOf(':'));
        assertEquals(RegistryAccess.userOf(role), user, where + " logs in to the registry as its role's user");
        assertTrue(authenticates(user, info.substring(info.indexOf(':') + 1)),
                where + ": the password in its registry URL is the one the auth file was made with");
        for (String t : TOPICS) {
            String subject = "Subject:" + Topics.valueSubject(t);
            assertTrue(allows(user, "Read", subject), where + " reads " + subject);
            boolean want = role.equals("topics") || writes(role, t);
            assertEquals(want, allows(user, "Write", subject), where + (want ? " registers " : " may not register ") + subject);
        }
        assertFalse(allows(user, "Write", "Config:"), where + " may not change the registry's configuration");
    }
}
