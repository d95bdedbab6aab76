package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.eval.live.EvaluatorService;
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
        String text = EvaluatorService.prometheus(l) + new UpdaterStats(1, 0, 1, 1, 1, 0, 1, 2.0, 1, 1, 0, 100,
                Map.of("in", 1L), Set.of("in"), true, true, 0.5, 1.5, Map.of("in", 0)).prometheus();
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

    @Test
    void composeServicesAgreeWithTheAppsKeysPortsAndLimits() throws Exception {
        JsonNode services = compose().get("services");
        for (String s : List.of("kafka", "schema-registry", "jobmanager", "taskmanager", "updater", "updater-2", "evaluator", "ingest",
                "prometheus", "grafana", "topics")) {
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
            env.putAll(map(svc.get("environment")));
            for (String k : map(svc.get("environment")).keySet()) {
                assertNotNull(option(command.get(0), k), e.getKey() + ": " + k + " is not an option of xmrec "
                        + command.get(0));
            }
            roles.put(e.getKey(), parse(command, env));
        }
        // addresses: every xmrec role talks to the broker's internal listener and the registry's listener
        Map<String, String> kafka = map(services.get("kafka").get("environment"));
        assertTrue(kafka.get("KAFKA_ADVERTISED_LISTENERS").contains("PLAINTEXT://kafka:9092"));
        assertTrue(Long.parseLong(kafka.get("KAFKA_MESSAGE_MAX_BYTES")) >= TopicSetup.MODEL_MAX_MESSAGE_BYTES,
                "the broker takes model records");
        String registry = "http://schema-registry:" + URI.create(map(services.get("schema-registry").get("environment"))
                .get("SCHEMA_REGISTRY_LISTENERS")).getPort();
        UpdaterCommand updater = (UpdaterCommand) roles.get("updater");
        EvaluatorCommand evaluator = (EvaluatorCommand) roles.get("evaluator");
        IngestCommand ingest = (IngestCommand) roles.get("ingest");
        for (KafkaOptions k : List.of(updater.kafka, evaluator.kafka, ingest.kafka)) {
            assertEquals("kafka:9092", k.bootstrap);
            assertEquals(registry, k.registry);
        }
        assertEquals("kafka:9092", ((TopicsCommand) roles.get("topics")).kafka.bootstrap);
        assertEquals("0.0.0.0", evaluator.host, "the dashboard listens beyond the container's loopback");
        assertEquals("0.0.0.0", updater.httpHost);
        assertTrue(containerPorts(services.get("evaluator")).contains(evaluator.port));
        assertTrue(containerPorts(services.get("updater")).contains(updater.httpPort));

        // the holdout job's arguments are the job's own
        List<String> jm = list(services.get("jobmanager").get("command"));
        assertEquals(HoldoutJobMain.class.getName(), jm.get(jm.indexOf("--job-classname") + 1));
        List<String> jobArgs = jm.subList(jm.indexOf("--job-classname") + 2, jm.size());
        HoldoutJob.Settings job = HoldoutJobMain.parse(jobArgs.toArray(new String[0]));
        assertEquals("kafka:9092", job.bootstrap());
        assertEquals(registry, job.registryUrl());

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
        for (String flink : List.of("jobmanager", "taskmanager")) {
            assertTrue(map(services.get(flink).get("environment")).get("FLINK_PROPERTIES")
                    .contains("metrics.reporter.prom.port: " + targets.get(flink)), flink + " reports where it is scraped");
        }
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
        Map<String, Map<String, String>> want = TopicSetup.topics(io.xmrec.core.data.Markets.KNOWN);
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
        assertEquals(registry, config.get("XMREC_REGISTRY"));

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
            c.path("env").forEach(e -> env.put(e.get("name").asText(), e.get("value").asText()));
            for (String k : env.keySet()) {
                if (k.startsWith("XMREC_") && !imageEnv.containsKey(k)) {
                    assertNotNull(option(args.get(0), k), d.get("metadata").get("name") + ": " + k
                            + " is not an option of xmrec " + args.get(0));
                }
            }
            Object role = parse(args, env);
            roles.put(d.get("metadata").get("name").asText(), role);
            int port = role instanceof EvaluatorCommand e ? e.port : ((UpdaterCommand) role).httpPort;
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
        for (Object r : roles.values()) {
            KafkaOptions k = r instanceof EvaluatorCommand e ? e.kafka : ((UpdaterCommand) r).kafka;
            assertEquals(bootstrap, k.bootstrap);
            assertEquals(registry, k.registry);
        }

        // the holdout job on the Flink operator
        JsonNode flink = named(all, "FlinkDeployment", "xmrec-holdouts");
        assertEquals(HoldoutJobMain.class.getName(), flink.get("spec").get("job").get("entryClass").asText());
        HoldoutJob.Settings job = HoldoutJobMain.parse(list(flink.get("spec").get("job").get("args")).toArray(new String[0]));
        assertEquals(bootstrap, job.bootstrap());
        assertEquals(registry, job.registryUrl());

        // monitoring selects the pods and ports that serve /metrics
        JsonNode pm = named(all, "PodMonitor", "xmrec");
        List<String> apps = list(pm.get("spec").get("selector").get("matchExpressions").get(0).get("values"));
        assertEquals(new TreeSet<>(roles.keySet()), new TreeSet<>(apps));

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
