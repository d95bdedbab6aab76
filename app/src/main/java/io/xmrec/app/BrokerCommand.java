package io.xmrec.app;

import io.xmrec.embedded.EmbeddedKafka;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Runs the embedded single-node KRaft Kafka broker (the demo's) on its own, on loopback, and "
                + "prints its bootstrap address: for running the roles as separate processes on one machine "
                + "(bench/scale-out.sh). Not for production: one node, replication factor 1.")
final class BrokerCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--dir", paramLabel = "DIR", description = "Directory of the broker's logs (default: a temporary one, deleted on exit).")
    Path dir;

    @Option(names = "--bootstrap-file", paramLabel = "FILE", description = "Also write the bootstrap address to this file once the broker is ready.")
    Path bootstrapFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (dir != null) {
            Files.createDirectories(dir);
        }
        try (StopSignal stop = new StopSignal("broker", spec.commandLine().getErr(), false, java.time.Duration.ofSeconds(20));
             EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            if (bootstrapFile != null) {
                Path tmp = bootstrapFile.resolveSibling(bootstrapFile.getFileName() + ".tmp");
                Files.writeString(tmp, kafka.bootstrapServers() + "\n");
                Files.move(tmp, bootstrapFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            spec.commandLine().getOut().println("kafka broker: " + kafka.bootstrapServers());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
