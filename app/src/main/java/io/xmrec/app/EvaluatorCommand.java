package io.xmrec.app;

import io.xmrec.eval.live.EvaluatorService;
import io.xmrec.eval.live.LiveEvaluator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

@Command(name = "evaluator", mixinStandardHelpOptions = true,
        description = "Runs the live evaluator (Kafka Streams): measures every new model version on its market's "
                + "holdouts and every new interaction prequentially, publishes to xmrec.metrics, and serves the "
                + "dashboard, /metrics (Prometheus), /api/metrics and /recommendations/{market}/{user} from its stores.")
final class EvaluatorCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--port", description = "HTTP port (default: 8080).")
    int port = 8080;

    @Option(names = "--host", description = "Address to bind (default: 127.0.0.1).")
    String host = "127.0.0.1";

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Kafka Streams state directory (default: a temporary one).")
    Path stateDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        kafka.awaitConnection("xmrec evaluator", spec.commandLine().getErr());
        try (StopSignal stop = new StopSignal("evaluator", spec.commandLine().getErr(), false, java.time.Duration.ofSeconds(20));
             EvaluatorService s = new EvaluatorService(kafka.bootstrap, kafka.clientProps(),
                new io.xmrec.schemas.registry.AvroSerde(new io.xmrec.schemas.registry.RegistryClient(kafka.registry)),
                stateDir != null ? stateDir : EvaluatorService.tempStateDir(), host, port,
                LiveEvaluator.Settings.defaults())) {
            spec.commandLine().getOut().println("dashboard: " + s.url() + "/  metrics: " + s.url() + "/metrics");
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
