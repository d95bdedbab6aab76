package io.xmrec.app;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.serving.ServeRole;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves recommendations and scores from the published models: follows the model topics and "
                + "the review topics (what each user reviewed, what each market sells) and answers "
                + "/recommendations/{market}/{user}, /scores/{market}/{user}, /models, /health and /metrics. No "
                + "training, no evaluator: run as many replicas as the traffic needs.")
final class ServeCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--port", description = "HTTP port (default: 8081).")
    int port = 8081;

    @Option(names = "--host", description = "Address to bind (default: 127.0.0.1).")
    String host = "127.0.0.1";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        kafka.awaitConnection("xmrec serve", spec.commandLine().getErr());
        try (StopSignal stop = new StopSignal("serve", spec.commandLine().getErr(), false, java.time.Duration.ofSeconds(20));
             ServeRole s = new ServeRole(kafka.bootstrap, kafka.clientProps(),
                     new AvroSerde(new RegistryClient(kafka.registry)), host, port)) {
            spec.commandLine().getOut().println("serving: " + s.url() + "/recommendations/{market}/{user}?k=10, "
                    + s.url() + "/scores/{market}/{user}?items=..., " + s.url() + "/metrics");
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
