package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.eval.live.EvaluatorMetrics;
import io.xmrec.model.updater.UpdaterStats;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.stream.HoldoutJob;
import io.xmrec.stream.HoldoutJobMain;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker cannot run here, so the deployment files are checked against the code: they parse, every
 * XMREC_* key a service sets is an option of the command it runs, every command line parses,
 * ports and addresses agree between services, Prometheus scrapes what the roles serve, and every
 * metric a Grafana panel queries is one the roles export.
 */
class DeploymentFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docker/compose.yaml"))) {
            p = p.getParent();
        }
        assertNotNull(p, "no docker/compose.yaml above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** A YAML file as a tree, with anchors, aliases and merge keys ({@code <<: *anchor}) resolved (SnakeYAML). */
    static JsonNode yaml(Path file) throws IOException {
        try (var r = Files.newBufferedReader(file)) {
            Object doc = new org.yaml.snakeyaml.Yaml().load(r);
            return JSON.valueToTree(doc);
        }
    }

    static JsonNode compose() throws IOException {
        return yaml(repo().resolve("docker/compose.yaml"));
    }

    /** Every metric name the evaluator and the updater export (rendered from full snapshots). */
    static Set<String> exportedMetrics() {
        ObjectNode l = JSON.createObjectNode();
        ObjectNode in = l.putObject("markets").putObject("in");
        for (String kind : List.of("holdout-valid", "holdout-test", "prequential", "holdout-test-full", "reference-valid",
                "reference-test")) {
            in.putObject(kind).put("ndcg10", 0.5).put("hr10", 0.6).put("users", 10);
        }
        in.put("model_version", 3).put("watermark", 1000);
        ObjectNode c = in.putObject("counters");
        for (String k : List.of("events", "train", "deadletters", "updates-published", "seconds-published", "last-event-ms")) {
            c.put(k, 5);
        }
        l.putObject("system").putObject("*").putObject("counters").put("updates-trunk", 1).put("seconds-trunk", 2);
        l.put("now", 5000);
        String text = EvaluatorMetrics.prometheus(l) + new UpdaterStats(
                new UpdaterStats.Input(1, 0, true, 0.2, 0.4, Map.of("in", 1L)), new UpdaterStats.Published(1, 1, 1, 0, 1, 1, 0, 100),
                new UpdaterStats.Trunk(true, false, 1, 2.0, 1),
                new UpdaterStats.Markets(Set.of("in"), Map.of("in", 1L), 0.5, 1.5, Map.of("in", 0), Map.of("in", 1L)),
                new UpdaterStats.Jobs(0.01, 0.2, 0.1, 0.5, 0.3, 0.9)).prometheus();
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    /** The option of a subcommand an XMREC_* key sets, or null. */
    static CommandLine.Model.OptionSpec option(String command, String envKey) {
        CommandLine sub = XmrecCli.commandLine().getSubcommands().get(command);
        assertNotNull(sub, "xmrec has no command " + command);
        String flag = "--" + envKey.substring("XMREC_".length()).toLowerCase().replace('_', '-');
        return sub.getCommandSpec().findOption(flag);
    }

    /** Parses a role's command line as the container would run it: its environment applied. */
    static Object parse(List<String> command, Map<String, String> env) {
        CommandLine.ParseResult r = XmrecCli.commandLine(new ConfigDefaults(env, null))
                .parseArgs(command.toArray(new String[0]));
        assertTrue(r.hasSubcommand(), "no role in " + command);
        return r.subcommand().commandSpec().userObject();
    }

    static Map<String, String> map(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n != null) {
            n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    static List<String> list(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    /** A Compose value as Compose would pass it: {@code ${NAME...}} filled in (with "test-NAME"), {@code $$} as {@code $}. */
    static String interpolate(String v) {
        return v.replaceAll("(?<!\\$)\\$\\{([A-Z_]+)(:[?-][^}]*)?}", "test-$1").replace("$$", "$");
    }

    static Map<String, String> interpolated(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, v) -> out.put(k, interpolate(v)));
        return out;
    }

    /** A registry URL without the credentials in it. */
    static String withoutCredentials(String url) {
        return url.replaceFirst("//[^@/]+@", "//");
    }

    /** The ACL entries (user, resource kind, name or prefix*, operation) io.xmrec.schemas.Access grants. */
    static Set<String> accessEntries() {
        Set<String> out = new TreeSet<>();
        io.xmrec.schemas.Access.entries().forEach(e -> out.add(e.toString()));
        return out;
    }

    /** The Kafka user a service's KAFKA_SASL_JAAS_CONFIG logs in as, or null. */
    static String jaasUser(String jaas) {
        Matcher m = Pattern.compile("username=\"([^\"]+)\"").matcher(jaas == null ? "" : jaas);
        return m.find() ? m.group(1) : null;
    }

    /** Container ports a service publishes ("host:container"). */
    static Set<Integer> containerPorts(JsonNode service) {
        Set<Integer> out = new TreeSet<>();
        if (service.has("ports")) {
            service.get("ports").forEach(p -> out.add(Integer.parseInt(p.asText().substring(p.asText().lastIndexOf(':') + 1))));
        }
        return out;
    }

    /** The Dockerfile's ENV of the xmrec image (KEY=value pairs across continued lines). */
    static Map<String, String> dockerfileEnv() throws IOException {
        String text = Files.readString(repo().resolve("docker/Dockerfile"));
        String image = text.substring(text.indexOf("AS xmrec"));
        Matcher env = Pattern.compile("ENV ((?:[^\\n]*\\\\\\n)*[^\\n]*)").matcher(image);
        assertTrue(env.find(), "ENV of the xmrec image");
        Map<String, String> out = new LinkedHashMap<>();
        Matcher kv = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)").matcher(env.group(1));
        while (kv.find()) {
            out.put(kv.group(1), kv.group(2).replace("\"", ""));
        }
        return out;
    }

    /**
     * A deployment's registry is a pinned Karapace release that keeps its schemas in _schemas, logs in to
     * Kafka as the registry's role, elects its primary in that role's group and requires the auth file.
     */
    static void assertKarapace(String image, Map<String, String> env, String bootstrap, Path authFile) {
        assertTrue(image.matches("ghcr\\.io/aiven-open/karapace:\\d+\\.\\d+\\.\\d+"), "a pinned Karapace release: " + image);
        io.xmrec.schemas.Access.Grant registryGrant = io.xmrec.schemas.Access.grants().get("registry");
        assertEquals("true", env.get("KARAPACE_KARAPACE_REGISTRY"));
        assertEquals(bootstrap, env.get("KARAPACE_BOOTSTRAP_URI"));
        assertEquals(io.xmrec.schemas.Topics.SCHEMAS, env.get("KARAPACE_TOPIC_NAME"));
        assertTrue(registryGrant.writes().contains(env.get("KARAPACE_TOPIC_NAME")));
        assertEquals(registryGrant.user(), env.get("KARAPACE_SASL_PLAIN_USERNAME"), "logs in to Kafka as the registry role");
        assertTrue(registryGrant.groups().stream().anyMatch(g -> env.get("KARAPACE_GROUP_ID").startsWith(g)),
                "its group is one the registry role may use");
        assertEquals("SASL_PLAINTEXT", env.get("KARAPACE_SECURITY_PROTOCOL"));
        assertEquals("SCRAM-SHA-512", env.get("KARAPACE_SASL_MECHANISM"));
        assertEquals("BACKWARD", env.get("KARAPACE_COMPATIBILITY"));
        assertEquals(authFile.toString(), env.get("KARAPACE_REGISTRY_AUTHFILE"), "requires the auth file registry-auth writes");
    }

    @Test
    void composeServicesAgreeWithTheAppsKeysPortsAndLimits() throws Exception {
        JsonNode services = compose().get("services");
        for (String s : List.of("kafka", "registry-auth", "schema-registry", "jobmanager", "taskmanager", "updater", "updater-2",
                "evaluator", "serve", "serve-2", "ingest", "prometheus", "grafana", "topics")) {
            assertTrue(services.has(s), "service " + s);
        }
        Map<String, String> imageEnv = dockerfileEnv();
        for (String k : imageEnv.keySet()) {
            if (k.startsWith("XMREC_")) {
                boolean somewhere = XmrecCli.commandLine().getSubcommands().keySet().stream()
                        .anyMatch(c -> option(c, k) != null);
                assertTrue(somewhere, "Dockerfile sets " + k + ", which no command reads");
            }
        }
        Map<String, Object> roles = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode svc = e.getValue();
            if (!"xmrec:latest".equals(svc.path("image").asText())) {
                continue;
            }
            List<String> command = list(svc.get("command"));
            Map<String, String> env = new LinkedHashMap<>(imageEnv);
            env.putAll(interpolated(map(svc.get("environment"))));
            for (String k : map(svc.get("environment")).keySet()) {
                if (k.startsWith("XMREC_")) {
                    assertNotNull(option(command.get(0), k), e.getKey() + ": " + k + " is not an option of xmrec "
                            + command.get(0));
                }
            }
            roles.put(e.getKey(), parse(command, env));
        }
        // addresses: every xmrec role talks to the broker's internal listener and the registry's listener
        Map<String, String> kafka = map(services.get("kafka").get("environment"));
        assertTrue(kafka.get("KAFKA_ADVERTISED_LISTENERS").contains("SASL://kafka:9092"));
        assertTrue(Long.parseLong(kafka.get("KAFKA_MESSAGE_MAX_BYTES")) >= TopicSetup.MODEL_MAX_MESSAGE_BYTES,
                "the broker takes model records");
        // the registry: Karapace with the auth file registry-auth writes from the same passwords the roles use
        JsonNode karapace = services.get("schema-registry");
        Map<String, String> karapaceEnv = interpolated(map(karapace.get("environment")));
        String registry = "http://schema-registry:" + karapaceEnv.get("KARAPACE_PORT");
        RegistryAuthCommand authRole = (RegistryAuthCommand) roles.get("registry-auth");
        KarapaceAuthFile auth = KarapaceAuthFile.parse(RegistryAuthCommand.render(
                interpolated(map(services.get("registry-auth").get("environment")))::get, new java.util.Random(1)));
        assertKarapace(karapace.get("image").asText(), karapaceEnv, "kafka:9092", authRole.out);
        assertTrue(list(karapace.get("volumes")).contains(list(services.get("registry-auth").get("volumes")).get(0) + ":ro"),
                "the registry reads the auth file's volume");
        assertTrue(list(services.get("registry-auth").get("volumes")).get(0).endsWith(":" + authRole.out.getParent()));
        assertEquals("service_completed_successfully", karapace.get("depends_on").get("registry-auth").get("condition").asText());
        UpdaterCommand updater = (UpdaterCommand) roles.get("updater");
        EvaluatorCommand evaluator = (EvaluatorCommand) roles.get("evaluator");
        IngestCommand ingest = (IngestCommand) roles.get("ingest");
        TopicsCommand topicsRole = (TopicsCommand) roles.get("topics");
        Map<String, KafkaOptions> writers = Map.of("updater", updater.kafka, "updater-2",
                ((UpdaterCommand) roles.get("updater-2")).kafka, "evaluator", evaluator.kafka, "ingest", ingest.kafka,
                "topics", topicsRole.kafka);
        writers.forEach((svc, k) -> {
            assertEquals("kafka:9092", k.bootstrap);
            assertEquals(registry, withoutCredentials(k.registry));
            auth.assertRoleMayRegisterItsOwn(svc.replace("-2", ""), k.registry, svc);
            assertEquals("/etc/xmrec/kafka/client.properties", k.kafkaConfig.toString());
        });
        assertEquals("kafka:9092", topicsRole.kafka.bootstrap);

        // security: only SASL listeners are reachable from other containers; ACLs deny what they do not allow;
        // every role logs in as its own user, whose ACLs are Access's; published ports only on loopback
        Map<String, String> protocols = new LinkedHashMap<>();
        for (String m : kafka.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").split(",")) {
            protocols.put(m.split(":")[0], m.split(":")[1]);
        }
        for (String l : kafka.get("KAFKA_LISTENERS").split(",")) {
            String name = l.substring(0, l.indexOf(':'));
            assertTrue(protocols.get(name).startsWith("SASL_") || l.contains("//127.0.0.1:"),
                    "listener " + l + " is anonymous and reachable from other containers");
        }
        assertEquals("org.apache.kafka.metadata.authorizer.StandardAuthorizer", kafka.get("KAFKA_AUTHORIZER_CLASS_NAME"));
        assertEquals("false", kafka.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"));
        Map<String, String> serviceRole = Map.of("topics", "topics", "updater", "updater",
                "updater-2", "updater", "evaluator", "evaluator", "ingest", "ingest", "jobmanager", "holdouts",
                "taskmanager", "holdouts", "serve", "serve", "serve-2", "serve");
        serviceRole.forEach((svc, role) -> assertEquals(io.xmrec.schemas.Access.grants().get(role).user(),
                jaasUser(map(services.get(svc).get("environment")).get("KAFKA_SASL_JAAS_CONFIG")), svc + " logs in as its role"));
        Set<String> scripted = new TreeSet<>();
        Matcher acl = Pattern.compile("--allow-principal User:(\\S+) ((?:--operation \\S+ )+)--(topic|group|transactional-id) "
                + "(\\S+)( --resource-pattern-type prefixed)?").matcher(Files.readString(repo().resolve("docker/kafka/acls.sh")));
        while (acl.find()) {
            String kind = acl.group(3).equals("transactional-id") ? "transactionalId" : acl.group(3);
            String name = acl.group(4) + (acl.group(5) != null ? "*" : "");
            for (String op : acl.group(2).replace("--operation ", "").trim().split(" ")) {
                scripted.add(acl.group(1) + " " + kind + " " + name + " " + op);
            }
        }
        assertEquals(accessEntries(), scripted, "docker/kafka/acls.sh vs io.xmrec.schemas.Access");
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            e.getValue().path("ports").forEach(p -> assertTrue(p.asText().startsWith("127.0.0.1:"),
                    e.getKey() + " publishes " + p.asText() + " beyond this host"));
        }
        assertEquals("0.0.0.0", evaluator.host, "the dashboard listens beyond the container's loopback");
        assertEquals("0.0.0.0", updater.httpHost);
        assertTrue(containerPorts(services.get("evaluator")).contains(evaluator.port));
        assertTrue(containerPorts(services.get("updater")).contains(updater.httpPort));
        // the serving replicas: the same command, reading only (no registry credentials), scraped
        for (String s : List.of("serve", "serve-2")) {
            ServeCommand serve = (ServeCommand) roles.get(s);
            assertEquals("kafka:9092", serve.kafka.bootstrap);
            assertEquals(registry, withoutCredentials(serve.kafka.registry));
            auth.assertRoleMayRegisterItsOwn("serve", serve.kafka.registry, s);
            assertEquals("0.0.0.0", serve.host, s + " listens beyond the container's loopback");
            assertTrue(containerPorts(services.get(s)).contains(serve.port), s + " publishes its port");
        }

        // the holdout job's arguments are the job's own
        List<String> jm = list(services.get("jobmanager").get("command"));
        assertEquals(HoldoutJobMain.class.getName(), jm.get(jm.indexOf("--job-classname") + 1));
        List<String> jobArgs = jm.subList(jm.indexOf("--job-classname") + 2, jm.size()).stream()
                .map(DeploymentFilesTest::interpolate).toList();
        HoldoutJob.Settings job = HoldoutJobMain.parse(jobArgs.toArray(new String[0]),
                interpolated(map(services.get("jobmanager").get("environment"))));
        assertEquals("kafka:9092", job.bootstrap());
        assertEquals(registry, withoutCredentials(job.registryUrl()));
        auth.assertRoleMayRegisterItsOwn("holdouts", job.registryUrl(), "the holdout job");
        assertEquals("SASL_PLAINTEXT", job.clientProps().get("security.protocol"));

        // Prometheus scrapes the roles where they serve /metrics
        JsonNode prom = yaml(repo().resolve("docker/prometheus.yml"));
        Map<String, String> targets = new LinkedHashMap<>();
        prom.get("scrape_configs").forEach(c -> c.get("static_configs").forEach(sc -> sc.get("targets")
                .forEach(t -> targets.put(t.asText().split(":")[0], t.asText().split(":")[1]))));
        assertEquals(Integer.toString(evaluator.port), targets.get("evaluator"));
        assertEquals(Integer.toString(updater.httpPort), targets.get("updater"));
        // the second updater: the same command and group, scraped as well
        UpdaterCommand second = (UpdaterCommand) roles.get("updater-2");
        assertEquals(updater.group().id(), second.group().id(), "one group");
        assertEquals(Integer.toString(second.httpPort), targets.get("updater-2"));
        assertEquals(Integer.toString(((ServeCommand) roles.get("serve")).port), targets.get("serve"));
        assertEquals(Integer.toString(((ServeCommand) roles.get("serve-2")).port), targets.get("serve-2"));
        for (String flink : List.of("jobmanager", "taskmanager")) {
            assertTrue(map(services.get(flink).get("environment")).get("FLINK_PROPERTIES")
                    .contains("metrics.reporter.prom.port: " + targets.get(flink)), flink + " reports where it is scraped");
        }
    }

    @Test
    void theTopicsUsersAndAclsInTheDeploymentsAreWhatXmrecManifestsWrites() throws Exception {
        Map<String, String> written = Manifests.all(io.xmrec.core.data.Markets.XMARKET);
        Map<String, Path> committed = Map.of(Manifests.TOPICS_YAML, repo().resolve("infra/base/topics.yaml"),
                Manifests.USERS_YAML, repo().resolve("infra/base/users.yaml"),
                Manifests.ACLS_SH, repo().resolve("docker/kafka/acls.sh"));
        assertEquals(committed.keySet(), written.keySet());
        committed.forEach((name, path) -> {
            try {
                assertEquals(written.get(name), Files.readString(path), path + " is not what `xmrec manifests --kubernetes "
                        + "infra/base --compose docker/kafka` writes: run it again after changing topics or access");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // a shop's own markets: their review topics, nothing of XMarket's
        String shop = Manifests.topicsYaml(List.of("us", "es-b2b"));
        assertTrue(shop.contains("topicName: xmrec.reviews.es-b2b") && shop.contains("name: xmrec-reviews-es-b2b"), shop);
        assertFalse(shop.contains("xmrec.reviews.ca"));
    }

    @Test
    void grafanaDashboardParsesAndQueriesOnlyExportedMetrics() throws Exception {
        JsonNode dash = JSON.readTree(repo().resolve("docker/grafana/dashboards/xmrec.json").toFile());
        Set<String> exported = exportedMetrics();
        assertTrue(exported.containsAll(List.of("xmrec_model_version", "xmrec_eval_ndcg_at_10", "xmrec_events_total",
                "xmrec_updater_row_deltas_total")), exported.toString());
        Set<String> queried = new TreeSet<>();
        Pattern metric = Pattern.compile("xmrec_[a-z0-9_]+");
        dash.get("panels").forEach(p -> p.get("targets").forEach(t -> {
            Matcher m = metric.matcher(t.get("expr").asText());
            while (m.find()) {
                queried.add(m.group());
            }
        }));
        assertFalse(queried.isEmpty());
        for (io.xmrec.eval.live.LiveMetric m : io.xmrec.eval.live.LiveMetric.values()) {
            assertTrue(queried.contains(m.gauge()), "a panel charts every live metric of the table: " + m.gauge());
        }
        queried.removeAll(exported);
        assertTrue(queried.isEmpty(), "panels query metrics nobody exports: " + queried);
        JsonNode ds = yaml(repo().resolve("docker/grafana/provisioning/datasources/prometheus.yaml"));
        String uid = ds.get("datasources").get(0).get("uid").asText();
        dash.get("panels").forEach(p -> assertEquals(uid, p.get("datasource").get("uid").asText(), p.get("title").asText()));
    }

    /** Every document of every YAML file under a directory, by kind. */
    static List<JsonNode> manifests(Path dir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".yaml")).sorted().toList()) {
                try (var r = Files.newBufferedReader(f)) {
                    for (Object doc : new org.yaml.snakeyaml.Yaml().loadAll(r)) {
                        if (doc != null) {
                            out.add(JSON.valueToTree(doc));
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * A container's environment as Kubernetes gives it: a value, {@code $(NAME)} replaced by a variable
     * defined before it, a Secret's key as "secret-NAME-KEY", a field reference as "field-PATH".
     */
    static Map<String, String> containerEnv(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            String v;
            if (e.has("valueFrom")) {
                JsonNode from = e.get("valueFrom");
                v = from.has("secretKeyRef") ? "secret-" + from.get("secretKeyRef").get("name").asText() + "-"
                        + from.get("secretKeyRef").get("key").asText() : "field-" + from.path("fieldRef").path("fieldPath").asText();
            } else {
                Matcher m = Pattern.compile("\\$\\(([A-Za-z_]+)\\)").matcher(e.path("value").asText());
                StringBuilder b = new StringBuilder();
                while (m.find()) {
                    assertTrue(env.containsKey(m.group(1)), e.get("name").asText() + " refers to $(" + m.group(1)
                            + "), not defined before it");
                    m.appendReplacement(b, Matcher.quoteReplacement(env.get(m.group(1))));
                }
                v = m.appendTail(b).toString();
            }
            env.put(e.get("name").asText(), v);
        }
        return env;
    }

    /** The volume a container mounts at a path. */
    static String mountOf(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.get("mountPath").asText().equals(path)) {
                return m.get("name").asText();
            }
        }
        throw new AssertionError(container.get("name").asText() + " mounts nothing at " + path);
    }

    static List<JsonNode> ofKind(List<JsonNode> all, String kind) {
        return all.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    static JsonNode named(List<JsonNode> all, String kind, String name) {
        return ofKind(all, kind).stream().filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @Test
    void kubernetesManifestsAgreeWithTheAppsTopicsKeysPortsAndAddresses() throws Exception {
        Path base = repo().resolve("infra/base");
        List<JsonNode> all = manifests(base);
        JsonNode kustomization = yaml(base.resolve("kustomization.yaml"));
        kustomization.get("resources").forEach(r -> assertTrue(Files.exists(base.resolve(r.asText())), "resource " + r));

        // topics: exactly TopicSetup's, with its configs
        Map<String, Map<String, String>> want = TopicSetup.topics(io.xmrec.core.data.Markets.XMARKET);
        Map<String, Map<String, String>> got = new LinkedHashMap<>();
        for (JsonNode t : ofKind(all, "KafkaTopic")) {
            got.put(t.get("spec").get("topicName").asText(), map(t.get("spec").get("config")));
        }
        assertEquals(want, got, "KafkaTopics vs TopicSetup.topics");

        // Kafka: model records fit; the bootstrap address every role gets is the cluster's plain listener
        JsonNode kafka = ofKind(all, "Kafka").get(0);
        assertTrue(kafka.get("spec").get("kafka").get("config").get("message.max.bytes").asLong()
                >= TopicSetup.MODEL_MAX_MESSAGE_BYTES);
        int plain = kafka.get("spec").get("kafka").get("listeners").get(0).get("port").asInt();
        String bootstrap = kafka.get("metadata").get("name").asText() + "-kafka-bootstrap:" + plain;
        Map<String, String> config = map(named(all, "ConfigMap", "xmrec-config").get("data"));
        assertEquals(bootstrap, config.get("XMREC_BOOTSTRAP"));
        JsonNode registrySvc = named(all, "Service", "schema-registry");
        String registry = "http://schema-registry:" + registrySvc.get("spec").get("ports").get(0).get("port").asInt();

        // security: SCRAM on the listener, ACLs deny what they do not allow, the users' ACLs are Access's
        assertEquals("scram-sha-512", kafka.get("spec").get("kafka").get("listeners").get(0).get("authentication")
                .get("type").asText());
        assertEquals("simple", kafka.get("spec").get("kafka").get("authorization").get("type").asText());
        Set<String> declared = new TreeSet<>();
        for (JsonNode u : ofKind(all, "KafkaUser")) {
            assertEquals("scram-sha-512", u.get("spec").get("authentication").get("type").asText());
            for (JsonNode a : u.get("spec").get("authorization").get("acls")) {
                JsonNode r = a.get("resource");
                String name = r.get("name").asText() + ("prefix".equals(r.get("patternType").asText()) ? "*" : "");
                a.get("operations").forEach(op -> declared.add(u.get("metadata").get("name").asText() + " "
                        + r.get("type").asText() + " " + name + " " + op.asText()));
            }
        }
        assertEquals(accessEntries(), declared, "infra/base/users.yaml vs io.xmrec.schemas.Access");
        JsonNode deny = named(all, "NetworkPolicy", "default-deny-ingress");
        assertTrue(deny.get("spec").get("podSelector").isEmpty() && list(deny.get("spec").get("policyTypes"))
                .contains("Ingress"), "nothing reaches a pod unless a policy lets it");
        Map<String, String> deploymentRole = Map.of("updater", "updater", "evaluator", "evaluator", "serve", "serve");

        // the roles: keys are options of their command, command lines parse, ports line up with Services and probes
        Map<String, String> imageEnv = dockerfileEnv();
        Map<String, Object> roles = new LinkedHashMap<>();
        for (JsonNode d : ofKind(all, "Deployment")) {
            JsonNode c = d.get("spec").get("template").get("spec").get("containers").get(0);
            if (!"xmrec".equals(c.path("image").asText())) {
                continue;
            }
            List<String> args = list(c.get("args"));
            Map<String, String> env = new LinkedHashMap<>(imageEnv);
            c.path("envFrom").forEach(ef -> env.putAll(map(named(all, "ConfigMap",
                    ef.get("configMapRef").get("name").asText()).get("data"))));
            env.putAll(containerEnv(c));
            String name = d.get("metadata").get("name").asText();
            String secret = null;
            for (JsonNode e : c.path("env")) {
                if (e.get("name").asText().equals("KAFKA_SASL_JAAS_CONFIG")) {
                    secret = e.get("valueFrom").get("secretKeyRef").get("name").asText();
                }
            }
            assertEquals(io.xmrec.schemas.Access.grants().get(deploymentRole.get(name)).user(), secret,
                    name + " logs in to Kafka as its role");
            JsonNode podSec = d.get("spec").get("template").get("spec").get("securityContext");
            assertTrue(podSec.get("runAsNonRoot").asBoolean(), name + " runs as non-root");
            assertFalse(c.get("securityContext").get("allowPrivilegeEscalation").asBoolean(), name);
            assertTrue(c.get("resources").get("limits").has("memory"), name + " has a memory limit");
            for (String k : env.keySet()) {
                if (k.startsWith("XMREC_") && !imageEnv.containsKey(k)) {
                    assertNotNull(option(args.get(0), k), d.get("metadata").get("name") + ": " + k
                            + " is not an option of xmrec " + args.get(0));
                }
            }
            Object role = parse(args, env);
            roles.put(d.get("metadata").get("name").asText(), role);
            int port = role instanceof EvaluatorCommand e ? e.port
                    : role instanceof ServeCommand s ? s.port : ((UpdaterCommand) role).httpPort;
            Map<String, Integer> named = new LinkedHashMap<>();
            c.get("ports").forEach(p -> named.put(p.get("name").asText(), p.get("containerPort").asInt()));
            assertTrue(named.containsValue(port), d.get("metadata").get("name") + " listens on " + port + ", ports " + named);
            String probePort = c.get("readinessProbe").get("httpGet").get("port").asText();
            assertEquals(port, named.get(probePort));
            JsonNode svc = named(all, "Service", d.get("metadata").get("name").asText());
            assertEquals(port, named.get(svc.get("spec").get("ports").get(0).get("targetPort").asText()));
        }
        assertTrue(roles.get("updater") instanceof UpdaterCommand && roles.get("evaluator") instanceof EvaluatorCommand);
        assertTrue(named(all, "Deployment", "updater").get("spec").get("replicas").asInt() > 1,
                "updaters share the markets: more than one replica");
        // the registry: Karapace, its auth file written by an init container from the Secret the roles' passwords come from
        JsonNode registryPod = named(all, "Deployment", "schema-registry").get("spec").get("template").get("spec");
        JsonNode karapace = registryPod.get("containers").get(0);
        JsonNode init = registryPod.get("initContainers").get(0);
        Map<String, String> initEnv = containerEnv(init);
        RegistryAuthCommand authRole = (RegistryAuthCommand) parse(list(init.get("args")), initEnv);
        KarapaceAuthFile auth = KarapaceAuthFile.parse(RegistryAuthCommand.render(initEnv::get, new java.util.Random(1)));
        assertKarapace(karapace.get("image").asText(), containerEnv(karapace), bootstrap, authRole.out);
        assertEquals("secret-" + io.xmrec.schemas.Access.grants().get("registry").user() + "-password",
                containerEnv(karapace).get("KARAPACE_SASL_PLAIN_PASSWORD"), "the registry role's Strimzi Secret");
        assertEquals(mountOf(init, authRole.out.getParent().toString()), mountOf(karapace, authRole.out.getParent().toString()),
                "the registry reads the volume the init container writes the auth file to");
        assertTrue(registryPod.get("securityContext").get("runAsNonRoot").asBoolean());
        assertEquals("/_health", karapace.get("readinessProbe").get("httpGet").get("path").asText());
        assertEquals(containerEnv(karapace).get("KARAPACE_PORT"), Integer.toString(karapace.get("ports").get(0).get("containerPort")
                .asInt()));
        assertEquals(karapace.get("ports").get(0).get("name").asText(),
                registrySvc.get("spec").get("ports").get(0).get("targetPort").asText());
        Map<String, String> registryRoles = Map.of("updater", "updater", "evaluator", "evaluator", "serve", "serve");
        // the serving replicas: read-only (the registry's reader, below), scaled by a HorizontalPodAutoscaler on their Deployment
        assertTrue(roles.get("serve") instanceof ServeCommand);
        JsonNode hpa = named(all, "HorizontalPodAutoscaler", "serve");
        assertEquals("serve", hpa.get("spec").get("scaleTargetRef").get("name").asText());
        assertTrue(hpa.get("spec").get("minReplicas").asInt() >= 2, "at least two serving replicas");
        roles.forEach((name, r) -> {
            KafkaOptions k = r instanceof EvaluatorCommand e ? e.kafka : r instanceof ServeCommand s ? s.kafka
                    : ((UpdaterCommand) r).kafka;
            assertEquals(bootstrap, k.bootstrap);
            assertEquals(registry, withoutCredentials(k.registry));
            auth.assertRoleMayRegisterItsOwn(registryRoles.get(name), k.registry, name);
            assertEquals(config.get("XMREC_KAFKA_CONFIG"), k.kafkaConfig.toString());
        });

        // the holdout job on the Flink operator
        JsonNode flink = named(all, "FlinkDeployment", "xmrec-holdouts");
        assertEquals(HoldoutJobMain.class.getName(), flink.get("spec").get("job").get("entryClass").asText());
        HoldoutJob.Settings job = HoldoutJobMain.parse(list(flink.get("spec").get("job").get("args")).toArray(new String[0]),
                containerEnv(flink.get("spec").get("podTemplate").get("spec").get("containers").get(0)));
        assertEquals(bootstrap, job.bootstrap());
        assertEquals(registry, withoutCredentials(job.registryUrl()));
        auth.assertRoleMayRegisterItsOwn("holdouts", job.registryUrl(), "the holdout job");
        assertEquals("SASL_PLAINTEXT", job.clientProps().get("security.protocol"));
        // durable state: checkpoints on a persistent volume, Kubernetes HA, upgrades from the last checkpoint
        assertEquals("last-state", flink.get("spec").get("job").get("upgradeMode").asText());
        assertEquals("kubernetes", flink.get("spec").get("flinkConfiguration").get("high-availability.type").asText());
        JsonNode pod = flink.get("spec").get("podTemplate").get("spec");
        assertTrue(pod.get("volumes").get(0).has("persistentVolumeClaim"), "checkpoints on a persistent volume");
        assertTrue(pod.get("securityContext").get("runAsNonRoot").asBoolean());
        assertEquals("xmrec-holdouts", pod.get("containers").get(0).get("env").get(0).get("valueFrom").get("secretKeyRef")
                .get("name").asText());

        // monitoring selects the pods and ports that serve /metrics
        JsonNode pm = named(all, "PodMonitor", "xmrec");
        List<String> apps = list(pm.get("spec").get("selector").get("matchExpressions").get(0).get("values"));
        assertEquals(new TreeSet<>(List.of("updater", "evaluator", "serve")), new TreeSet<>(apps));

        // the overlay's resources and patch targets exist
        Path overlay = repo().resolve("infra/overlays/production");
        JsonNode ok = yaml(overlay.resolve("kustomization.yaml"));
        ok.get("resources").forEach(r -> assertTrue(Files.exists(overlay.resolve(r.asText())), "resource " + r));
        ok.get("patches").forEach(p -> {
            String kind = p.get("target").get("kind").asText();
            assertFalse(ofKind(all, kind).isEmpty(), "patch of " + kind);
            if (p.get("target").has("name")) {
                named(all, kind, p.get("target").get("name").asText());
            }
        });
    }
}
