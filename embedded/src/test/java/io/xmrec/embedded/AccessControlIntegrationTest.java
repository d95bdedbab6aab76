package io.xmrec.embedded;

import io.xmrec.schemas.Access;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The deployments' access rules enforced by a real broker: a single-node KRaft broker with SASL
 * and Kafka's standard authorizer (nothing allowed without an ACL), every role of
 * {@link Access} a user with exactly the ACLs {@link Access#entries()} lists. The deployments log in
 * with SCRAM; this broker uses PLAIN (what Kafka's cluster kit supports), which changes how a user
 * proves who it is, not what it may do.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AccessControlIntegrationTest {

    private static final String ADMIN = "plain-admin"; // the kit's super user
    private static KafkaClusterTestKit cluster;

    @BeforeAll
    static void start() throws Exception {
        StringBuilder users = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"" + ADMIN + "\" password=\"" + password(ADMIN) + "\" user_" + ADMIN + "=\"" + password(ADMIN) + "\"");
        for (Access.Grant g : Access.grants().values()) {
            users.append(" user_").append(g.user()).append("=\"").append(password(g.user())).append('"');
        }
        users.append(';');
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT).setControllerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                .build();
        cluster = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("listener.name.external.plain.sasl.jaas.config", users.toString())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("auto.create.topics.enable", "false")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        try (Admin admin = Admin.create(client(ADMIN))) {
            admin.createTopics(List.of(new NewTopic("xmrec.reviews.in", 1, (short) 1), new NewTopic("xmrec.train", 1, (short) 1),
                    new NewTopic("xmrec.models", 1, (short) 1))).all().get();
            List<AclBinding> acls = new ArrayList<>();
            for (Access.Entry e : Access.entries()) {
                ResourceType type = switch (e.resource()) {
                    case "topic" -> ResourceType.TOPIC;
                    case "group" -> ResourceType.GROUP;
                    case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
                    default -> throw new IllegalArgumentException("resource " + e.resource());
                };
                acls.add(new AclBinding(new ResourcePattern(type, e.stem(), e.prefixed() ? PatternType.PREFIXED : PatternType.LITERAL),
                        new AccessControlEntry("User:" + e.user(), "*", AclOperation.fromString(e.operation()),
                                AclPermissionType.ALLOW)));
            }
            admin.createAcls(acls).all().get();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String password(String user) {
        return user + "-secret";
    }

    private static Properties client(String user) {
        return client(user, password(user));
    }

    private static Properties client(String user, String password) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        p.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        return p;
    }

    /** Sends one record as {@code user} (transactionally when {@code txnId} is given); the failure's cause, or null. */
    private static Throwable send(String user, String password, String topic, String txnId) {
        Properties p = client(user, password);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        if (txnId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            if (txnId != null) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            producer.send(new ProducerRecord<>(topic, "k".getBytes(), "v".getBytes())).get(20, TimeUnit.SECONDS);
            if (txnId != null) {
                producer.commitTransaction();
            }
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private static Throwable send(String user, String topic) {
        return send(user, password(user), topic, null);
    }

    /** Reads the topic's partition from the start as {@code user} (no group); the failure, or null. */
    private static Throwable read(String user, String topic) {
        Properties p = client(user);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            c.poll(Duration.ofSeconds(2));
            c.position(tp);
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    private static String user(String role) {
        return Access.grants().get(role).user();
    }

    @Test
    void aShopsClientPublishesReviewsAndReadsModelsButWritesNoModelOrTraining() {
        assertDoesNotThrow(() -> nullOrThrow(send(user("client"), "xmrec.reviews.in")));
        assertDoesNotThrow(() -> nullOrThrow(read(user("client"), "xmrec.models")));
        assertInstanceOf(TopicAuthorizationException.class, send(user("client"), "xmrec.models"));
        assertInstanceOf(TopicAuthorizationException.class, send(user("client"), "xmrec.train"));
        assertInstanceOf(TopicAuthorizationException.class, read(user("client"), "xmrec.train"));
    }

    @Test
    void onlyTheUpdaterWritesModelsAndOnlyTheHoldoutJobWritesTraining() {
        assertDoesNotThrow(() -> nullOrThrow(send(user("updater"), "xmrec.models")));
        assertInstanceOf(TopicAuthorizationException.class, send(user("updater"), "xmrec.train"));
        assertInstanceOf(TopicAuthorizationException.class, send(user("ingest"), "xmrec.train"));
        assertInstanceOf(TopicAuthorizationException.class, send(user("ingest"), "xmrec.models"));
        assertInstanceOf(TopicAuthorizationException.class, send(user("holdouts"), "xmrec.models"));
        assertInstanceOf(TopicAuthorizationException.class, send(user("evaluator"), "xmrec.models"));
    }

    @Test
    void transactionalIdsAreTheirOwnersOnly() {
        // the updater publishes under its own transactional ids; the holdout job's are not its
        assertDoesNotThrow(() -> nullOrThrow(send(user("updater"), password(user("updater")), "xmrec.models", "xmrec-updater-in")));
        assertInstanceOf(TransactionalIdAuthorizationException.class,
                send(user("updater"), password(user("updater")), "xmrec.models", "xmrec-holdouts-0"));
    }

    @Test
    void anUnknownUserOrAWrongPasswordIsRefused() {
        assertInstanceOf(SaslAuthenticationException.class, send("anonymous", "anything", "xmrec.reviews.in", null));
        assertInstanceOf(SaslAuthenticationException.class, send(user("updater"), "wrong", "xmrec.models", null));
    }

    private static void nullOrThrow(Throwable t) throws Throwable {
        if (t != null) {
            throw t;
        }
    }
}
