package io.xmrec.app;

import io.xmrec.core.data.Markets;
import io.xmrec.schemas.TopicSetup;
import picocli.CommandLine;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Creates xmrec's topics on a Kafka cluster where missing: a review topic per market, xmrec.train, "
                + "the compacted xmrec.holdouts and xmrec.models (max.message.bytes 64 MiB), xmrec.metrics, "
                + "xmrec.model-deltas, xmrec.forks, xmrec.deadletter and xmrec.updates. Replication is the broker's default. "
                + "With --registry it also registers every topic's value schema, so clients need only read the registry.")
final class TopicsCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "Markets to create review topics for: any codes "
            + "(default: XMarket Electronics' seven). A market's review topic can also be created later, by this command "
            + "or by the shop's producer: the holdout job follows every review topic.")
    String markets = String.join(",", Markets.XMARKET);

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
        if (kafka.registry != null) {
            // registered up front, so that a registry open only for reading serves every client from the start
            io.xmrec.schemas.registry.RegistryClient r = new io.xmrec.schemas.registry.RegistryClient(kafka.registry);
            List<TopicSetup.Topic> table = TopicSetup.table(list);
            table.forEach(topic -> r.register(topic.name() + "-value", topic.value()));
            spec.commandLine().getOut().println("schemas registered at " + r.url() + ": " + table.size() + " subjects");
        }
        return 0;
    }
}
