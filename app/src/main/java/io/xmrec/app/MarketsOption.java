package io.xmrec.app;

import io.xmrec.core.data.Markets;
import picocli.CommandLine.Option;

import java.util.List;

/** {@code --markets M[,M...]}, the one definition every command that replays market files mixes in. */
final class MarketsOption {

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "Markets to replay (default: every market in the "
            + "data directory: its <market>_<anything>.txt files).")
    String markets;

    /** The markets given, checked; empty for "every market of the data directory". */
    List<String> list() {
        return Markets.parseList(markets);
    }
}
