package io.xmrec.app;

import io.xmrec.core.data.MarketData;
import io.xmrec.ingest.ReplayEvents;
import io.xmrec.ingest.ReplayPublisher;
import io.xmrec.schemas.TopicSetup;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Replays XMarket files into xmrec.reviews.<market> (Avro, Confluent wire format) in event-time "
                + "order across markets, keyed by user, with an idempotent producer. Event ids are market:file:line.")
final class IngestCommand implements Callable<Integer> {

    @CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @CommandLine.Mixin
    DataOption data = new DataOption();

    @CommandLine.Mixin
    MarketsOption markets = new MarketsOption();

    @Option(names = "--speed", paramLabel = "X|max", description = "Days of event time per second, or max (default).")
    String speed = "max";

    @CommandLine.Mixin
    BadLinesOption badLines = new BadLinesOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static double parseSpeed(String s) {
        if (s.equalsIgnoreCase("max")) {
            return 0;
        }
        try {
            double d = Double.parseDouble(s);
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("--speed must be a positive number of days per second or 'max', got '" + s + "'");
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        kafka.connect("xmrec ingest");
        double daysPerSecond = parseSpeed(speed);
        List<String> list = markets.list();
        Map<String, MarketData> loaded = MarketFiles.load(data.dir, list, badLines.skip, badLines.max, err);
        try (StopSignal stop = new StopSignal("ingest", err, true, java.time.Duration.ofSeconds(10))) {
            ReplayPublisher.Summary s = ingest(kafka.bootstrap, kafka.clientProps(), kafka.registry, loaded, daysPerSecond,
                    err);
            stop.settle();
            out.printf("%s %,d events in %.1fs (%,.0f events/s): %s%s%n", s.stopped() ? "stopped after" : "ingested",
                    s.events(), s.seconds(), s.eventsPerSecond(), s.perMarket(), s.restarts() == 0 ? ""
                            : String.format("; %d producer restarts, %,d events sent again", s.restarts(), s.resent()));
            out.flush();
        }
        return 0;
    }

    /** Creates the topics if needed and replays the markets; shared with the embedded runs. */
    static ReplayPublisher.Summary ingest(String bootstrap, Map<String, Object> clientProps, String registry,
                                          Map<String, MarketData> loaded, double daysPerSecond, PrintWriter err) {
        TopicSetup.create(bootstrap, clientProps, new ArrayList<>(loaded.keySet()), 1);
        List<ReplayEvents.Sourced> events = ReplayEvents.merge(new ArrayList<>(loaded.values()));
        err.printf("ingest: %,d events of %s into %s%n", events.size(), loaded.keySet(), bootstrap);
        ReplayPublisher p = new ReplayPublisher(bootstrap, clientProps, new AvroSerde(new RegistryClient(registry)),
                daysPerSecond, Duration.ofSeconds(2), line -> {
                    err.println(line);
                    err.flush();
                });
        return p.publish(events);
    }
}
