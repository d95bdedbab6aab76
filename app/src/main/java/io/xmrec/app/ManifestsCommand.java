package io.xmrec.app;

import io.xmrec.core.data.Markets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "manifests", mixinStandardHelpOptions = true,
        description = "Writes the deployment files that follow from xmrec's topics and access rules: for Kubernetes "
                + "(Strimzi), topics.yaml (a KafkaTopic per topic of the markets) and users.yaml (a KafkaUser per role with "
                + "its ACLs); for Compose, acls.sh (the same ACLs with kafka-acls.sh). The copies in infra/base and "
                + "docker/kafka are its output for XMarket's markets; a shop with its own markets writes its own.")
final class ManifestsCommand implements Callable<Integer> {

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "Markets to write review topics for: any codes "
            + "(default: XMarket Electronics' seven).")
    String markets = String.join(",", Markets.XMARKET);

    @Option(names = "--kubernetes", paramLabel = "DIR", description = "Where to write topics.yaml and users.yaml.")
    Path kubernetes;

    @Option(names = "--compose", paramLabel = "DIR", description = "Where to write acls.sh.")
    Path compose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (kubernetes == null && compose == null) {
            throw new IllegalArgumentException("xmrec manifests needs --kubernetes DIR, --compose DIR or both");
        }
        List<String> list = Markets.parseList(markets);
        var files = Manifests.all(list);
        for (var f : files.entrySet()) {
            Path dir = Manifests.KUBERNETES_FILES.contains(f.getKey()) ? kubernetes : compose;
            if (dir == null) {
                continue;
            }
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("no directory " + dir + " to write " + f.getKey() + " in");
            }
            Path out = dir.resolve(f.getKey());
            Files.writeString(out, f.getValue());
            if (f.getKey().endsWith(".sh")) {
                out.toFile().setExecutable(true);
            }
            spec.commandLine().getOut().println("wrote " + out);
        }
        return 0;
    }
}
