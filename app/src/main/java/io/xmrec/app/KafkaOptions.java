package io.xmrec.app;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Where the Kafka cluster and the schema registry are: shared by the streaming commands. */
final class KafkaOptions {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--registry", paramLabel = "URL",
            description = "Schema registry URL (Confluent REST API: Confluent, Apicurio ccompat, Karapace, Redpanda).")
    String registry;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Properties file of extra Kafka client settings (security.protocol, sasl.*, ssl.*, ...).")
    Path kafkaConfig;

    /** The extra client properties (empty without --kafka-config). */
    Map<String, Object> clientProps() {
        Map<String, Object> out = new HashMap<>();
        if (kafkaConfig == null) {
            return out;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(kafkaConfig)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read --kafka-config " + kafkaConfig + ": " + e.getMessage(), e);
        }
        p.forEach((k, v) -> out.put(k.toString(), v.toString()));
        return out;
    }

    /** Checks that both endpoints are given (for commands not running the embedded default). */
    void require(String command) {
        if (bootstrap == null || registry == null) {
            throw new IllegalArgumentException(command + " needs --bootstrap HOST:PORT and --registry URL (or "
                    + "XMREC_BOOTSTRAP and XMREC_REGISTRY, or bootstrap= and registry= in the --config file)"
                    + (command.endsWith("holdouts") ? ", or --embedded" : ""));
        }
    }

    /**
     * {@link #require}, then checks that the broker and the registry answer: a wrong address is one
     * line naming it within seconds, not a client retrying for a minute.
     */
    void connect(String command) {
        require(command);
        io.xmrec.schemas.Reachability.broker(bootstrap, clientProps(), io.xmrec.schemas.Reachability.WITHIN);
        io.xmrec.schemas.Reachability.registry(registry, io.xmrec.schemas.Reachability.WITHIN);
    }

    /**
     * For a service that runs until stopped: {@link #require}, then waits until the broker and the
     * registry answer, saying every ten seconds which one does not and what to check (a service
     * started before its broker simply waits for it).
     */
    void awaitConnection(String command, java.io.PrintWriter err) {
        require(command);
        while (true) {
            try {
                io.xmrec.schemas.Reachability.broker(bootstrap, clientProps(), io.xmrec.schemas.Reachability.WITHIN);
                io.xmrec.schemas.Reachability.registry(registry, io.xmrec.schemas.Reachability.WITHIN);
                return;
            } catch (IllegalStateException e) {
                err.println(command + ": " + e.getMessage() + " (trying again)");
                err.flush();
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("stopped while waiting for the broker and the registry");
                }
            }
        }
    }
}
