package io.xmrec.stream;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Entry point of the holdout job jar for a Flink cluster ({@code flink run -c io.xmrec.stream.HoldoutJobMain
 * xmrec-stream-processors-*-job.jar --bootstrap HOST:PORT --registry URL}). Options:
 * {@code --bootstrap}, {@code --registry} (required), {@code --checkpoint-seconds} (10),
 * {@code --dedup-days} (7), {@code --transactional-id-prefix} (xmrec-holdouts), {@code --topic-prefix} (none;
 * also taken from XMREC_TOPIC_PREFIX), {@code --bounded},
 * and any {@code --kafka.<client setting> value} passed to the Kafka clients (security settings).
 */
public final class HoldoutJobMain {

    private HoldoutJobMain() {
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i++) { // before anything reads the topic names
            if (args[i].equals("--topic-prefix")) {
                System.setProperty("xmrec.topic.prefix", args[i + 1]);
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        HoldoutJob.define(env, parse(args));
        env.execute("xmrec holdouts");
    }

    /** The job's settings from its arguments; a clear error for anything it does not know. */
    public static HoldoutJob.Settings parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        Map<String, Object> client = new HashMap<>();
        boolean bounded = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--bounded")) {
                bounded = true;
            } else if (a.startsWith("--") && i + 1 < args.length) {
                if (a.startsWith("--kafka.")) {
                    client.put(a.substring("--kafka.".length()), args[++i]);
                } else {
                    opts.put(a.substring(2), args[++i]);
                }
            } else {
                throw new IllegalArgumentException("holdout job: unexpected argument '" + a + "' (options are --name value)");
            }
        }
        String bootstrap = opts.remove("bootstrap");
        String registry = opts.remove("registry");
        if (bootstrap == null || registry == null) {
            throw new IllegalArgumentException("holdout job needs --bootstrap HOST:PORT and --registry URL");
        }
        int checkpoint = Integer.parseInt(opts.getOrDefault("checkpoint-seconds", "10"));
        int dedupDays = Integer.parseInt(opts.getOrDefault("dedup-days", "7"));
        String prefix = opts.getOrDefault("transactional-id-prefix", io.xmrec.schemas.Topics.PREFIX + "xmrec-holdouts");
        opts.keySet().removeAll(java.util.List.of("checkpoint-seconds", "dedup-days", "transactional-id-prefix",
                "topic-prefix"));
        if (!opts.isEmpty()) {
            throw new IllegalArgumentException("holdout job: unknown options " + opts.keySet());
        }
        return new HoldoutJob.Settings(bootstrap, registry, client, bounded, Duration.ofDays(dedupDays),
                Duration.ofSeconds(checkpoint), prefix);
    }
}
