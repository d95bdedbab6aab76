package io.xmrec.app;

import io.xmrec.schemas.registry.RegistryServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;


@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Runs xmrec's schema registry on its own: the subset of the Confluent Schema Registry REST API "
                + "the xmrec serde uses, with schemas kept in the compacted _schemas topic of the given cluster and "
                + "BACKWARD compatibility per subject. Any Confluent-API registry (Confluent, Apicurio's ccompat API, "
                + "Karapace) serves as well.")
final class RegistryCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Properties file of extra Kafka client settings (security.protocol, sasl.*, ssl.*, ...).")
    java.nio.file.Path kafkaConfig;

    @Option(names = "--host", description = "Address to bind (default: 127.0.0.1; 0.0.0.0 in a container).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "HTTP port (default: 8081).")
    int port = 8081;

    @Option(names = "--write-credentials", paramLabel = "USER:PASSWORD", description = "Require these as HTTP Basic "
            + "auth for registering or changing schemas (reads stay open): writers put them in their registry URL, "
            + "http://USER:PASSWORD@host:port. Without it anyone who reaches the port may register.")
    String writeCredentials;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (bootstrap == null) {
            throw new IllegalArgumentException("xmrec registry needs --bootstrap HOST:PORT (or XMREC_BOOTSTRAP): it keeps "
                    + "the schemas in the _schemas topic");
        }
        KafkaOptions k = new KafkaOptions();
        k.bootstrap = bootstrap;
        k.kafkaConfig = kafkaConfig;
        try (StopSignal stop = new StopSignal("registry", spec.commandLine().getErr(), false, java.time.Duration.ofSeconds(20));
             RegistryServer r = RegistryServer.start(bootstrap, host, port, k.clientProps(), writeCredentials)) {
            spec.commandLine().getOut().println("schema registry: " + r.url());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
