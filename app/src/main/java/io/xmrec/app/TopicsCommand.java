package io.xmrec.app;

import io.xmrec.core.data.Markets;
import io.xmrec.schemas.TopicSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Creates xmrec's topics on a Kafka cluster where missing: a review topic per market, xmrec.train, "
                + "the compacted xmrec.holdouts and xmrec.models (max.message.bytes 64 MiB), xmrec.metrics, "
                + "xmrec.deadletter and xmrec.updates. Replication is the broker's default.")
final class TopicsCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "Markets to create review topics for (default: all seven).")
    String markets = String.join(",", Markets.KNOWN);

    @Option(names = "--partitions", description = "Partitions per topic (default: 1).")
    int partitions = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (kafka.bootstrap == null) {
            throw new IllegalArgumentException("xmrec topics needs --bootstrap HOST:PORT (or XMREC_BOOTSTRAP)");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        var list = Markets.parseList(markets);
        TopicSetup.create(kafka.bootstrap, kafka.clientProps(), list, partitions);
        spec.commandLine().getOut().println("topics ready on " + kafka.bootstrap + ": "
                + String.join(", ", TopicSetup.topics(list).keySet()));
        return 0;
    }
}
