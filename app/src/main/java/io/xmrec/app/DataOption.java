package io.xmrec.app;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --data DIR}, the one definition every command that reads market files mixes in. */
final class DataOption {

    @Option(names = "--data", paramLabel = "DIR", description = "Directory of market files: <market>_<anything>.txt in "
            + "the XMarket format, any market codes (default: $XMREC_DATA_DIR, else ~/.cache/xmrec/xmarket, where missing "
            + "XMarket Electronics files are downloaded and SHA-256 verified).")
    Path dir;
}
