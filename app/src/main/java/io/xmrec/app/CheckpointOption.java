package io.xmrec.app;

import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * {@code --checkpoint-interval SECONDS} of the holdout job, shared by {@code xmrec holdouts} and {@code xmrec demo}.
 * The job's exactly-once sinks commit their Kafka transactions at its checkpoints, so this interval is what a new
 * training interaction waits, half of it on average, before the updater can read it (docs/design.md, "Freshness").
 */
final class CheckpointOption {

    @Option(names = "--checkpoint-interval", paramLabel = "SECONDS", description = "Checkpoint interval of the holdout "
            + "job in seconds (decimals allowed, e.g. 0.5); its transactions commit at checkpoints, so a new training "
            + "interaction reaches the updater after half of it on average (default: 0.5 in the demo, 10 for "
            + "'xmrec holdouts', 2 for its --embedded and --bounded runs).")
    String seconds;

    /** The interval given, or {@code fallback}, the command's default. */
    Duration interval(Duration fallback) {
        if (seconds == null) {
            return fallback;
        }
        double s;
        try {
            s = Double.parseDouble(seconds.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--checkpoint-interval: '" + seconds + "' is not a number of seconds");
        }
        if (!(s >= 0.05) || s > 3600) {
            throw new IllegalArgumentException("--checkpoint-interval: " + seconds
                    + " is out of range (0.05 to 3600 seconds)");
        }
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
