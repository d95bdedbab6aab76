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
 * also taken from XMREC_TOPIC_PREFIX), {@code --bounded}, {@code --at-least-once} (sinks without transactions),
 * and any {@code --kafka.<client setting> value} passed to the Kafka clients (security settings).
 * A value {@code ${env:NAME}} (anywhere in an argument) is replaced by the environment variable NAME,
 * so a password can come from the pod's environment rather than the job's arguments.
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

    /** Replaces every {@code ${env:NAME}} in the arguments by that environment variable (an error when unset). */
    static String[] expandEnv(String[] args, Map<String, String> env) {
        String[] out = new String[args.length];
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");
        for (int i = 0; i < args.length; i++) {
            java.util.regex.Matcher m = p.matcher(args[i]);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                String v = env.get(m.group(1));
                if (v == null) {
                    throw new IllegalArgumentException("holdout job: argument " + (i + 1) + " names the environment variable "
                            + m.group(1) + ", which is not set");
                }
                m.appendReplacement(b, java.util.regex.Matcher.quoteReplacement(v));
            }
            m.appendTail(b);
            out[i] = b.toString();
        }
        return out;
    }

    /** The job's settings from its arguments; a clear error for anything it does not know. */
    public static HoldoutJob.Settings parse(String[] args) {
        return parse(args, System.getenv());
    }

    /** As {@link #parse(String[])}, with {@code ${env:NAME}} read from {@code env}. */
    public static HoldoutJob.Settings parse(String[] args, Map<String, String> env) {
        Map<String, String> opts = new HashMap<>();
        Map<String, Object> client = new HashMap<>();
        boolean bounded = false;
        boolean atLeastOnce = false;
        args = expandEnv(args, env);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--bounded")) {
                bounded = true;
            } else if (a.equals("--at-least-once")) {
                atLeastOnce = true;
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
        HoldoutJob.Settings s = new HoldoutJob.Settings(bootstrap, registry, client, bounded, Duration.ofDays(dedupDays),
                Duration.ofSeconds(checkpoint), prefix);
        return atLeastOnce ? s.atLeastOnce() : s;
    }
}
