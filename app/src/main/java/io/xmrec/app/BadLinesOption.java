package io.xmrec.app;

import picocli.CommandLine.Option;

/** {@code --skip-bad-lines} and {@code --max-bad-lines}: what a command that reads market files does with a bad line. */
final class BadLinesOption {

    @Option(names = "--skip-bad-lines", description = "Skip and count malformed lines instead of failing on the first one.")
    boolean skip;

    @Option(names = "--max-bad-lines", paramLabel = "N", defaultValue = "1000", description = "With --skip-bad-lines: "
            + "fail when a file has more than N bad lines, as it is then most likely not an XMarket file "
            + "(default: ${DEFAULT-VALUE}).")
    long max;
}
