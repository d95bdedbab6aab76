package io.xmrec.app;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * One set of keys for every role: any long option {@code --some-key} of any command can also be
 * set by the environment variable {@code XMREC_SOME_KEY} or in a properties file (given by
 * {@code --config FILE} before or after the command, or by {@code XMREC_CONFIG}) as
 * {@code some-key=...} or, for one command only, {@code updater.some-key=...}. A flag on the command
 * line wins over the environment, which wins over the file (command key, then plain key), which
 * wins over the built-in default. A key that no command has (a typo) is an error naming the
 * closest one ({@link #check}); a key of another command is left alone, so one file or ConfigMap
 * serves every role. Where each value came from is kept ({@link #sourceOf}).
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {

    /** XMREC_* variables of the launcher and of the runtime, not options of a command. */
    static final java.util.Set<String> LAUNCHER_VARIABLES = java.util.Set.of("XMREC_CONFIG", "XMREC_DATA_DIR",
            "XMREC_DATA_URL", "XMREC_TOPIC_PREFIX", "XMREC_JAVA_OPTS", "XMREC_NO_BUILD", "XMREC_DEBUG");

    /** How the settings combine: printed at the end of every command's --help. */
    static final String HOW = "Every --option can also be set by the environment variable XMREC_OPTION (upper case, "
            + "'-' as '_') or in a properties file given by --config FILE or XMREC_CONFIG (option=value, or "
            + "command.option=value for one command). A flag wins over the environment, which wins over the file, which "
            + "wins over the default; a key no command has is an error.";

    private final Map<String, String> env;
    private final Properties file = new Properties();
    private final Path filePath;
    private final Map<String, String> sources = new java.util.concurrent.ConcurrentHashMap<>();

    ConfigDefaults(Map<String, String> env, Path configFile) {
        this.env = env;
        Path f = configFile != null ? configFile : env.get("XMREC_CONFIG") != null ? Path.of(env.get("XMREC_CONFIG")) : null;
        this.filePath = f;
        if (f != null) {
            try (Reader r = Files.newBufferedReader(f)) {
                file.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the xmrec config file " + f + ": " + e.getMessage(), e);
            }
        }
    }

    /** The environment variable of a key: {@code kafka-config} -> {@code XMREC_KAFKA_CONFIG}. */
    static String envName(String key) {
        return "XMREC_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!arg.isOption()) {
            return null;
        }
        OptionSpec o = (OptionSpec) arg;
        String name = o.longestName();
        if (!name.startsWith("--") || o.usageHelp() || o.versionHelp()) {
            return null;
        }
        String key = name.substring(2);
        String v = env.get(envName(key));
        String source = envName(key);
        if (v == null && o.command() != null) {
            v = file.getProperty(o.command().name() + "." + key);
            source = o.command().name() + "." + key + "= in " + filePath;
        }
        if (v == null) {
            v = file.getProperty(key);
            source = key + "= in " + filePath;
        }
        if (v != null) {
            sources.put(key, source);
        }
        return v;
    }

    /** Where the value of an option came from, when not from a flag or the default: "XMREC_DATA", "data= in FILE". */
    String sourceOf(String key) {
        return sources.get(key);
    }

    /**
     * Refuses settings that match no option: an {@code XMREC_*} variable that is neither a
     * launcher variable nor any command's option, a file key that is no command's option, and a
     * {@code command.key} whose command does not have it. The message names the key, where it was
     * set, and the closest valid key.
     */
    void check(CommandLine root) {
        Map<String, java.util.Set<String>> byCommand = new java.util.TreeMap<>();
        collect(root, byCommand);
        java.util.Set<String> all = new java.util.TreeSet<>();
        byCommand.values().forEach(all::addAll);
        for (String var : new java.util.TreeSet<>(env.keySet())) {
            if (!var.startsWith("XMREC_") || LAUNCHER_VARIABLES.contains(var)) {
                continue;
            }
            String key = var.substring("XMREC_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
            if (!all.contains(key)) {
                java.util.Set<String> valid = new java.util.TreeSet<>(LAUNCHER_VARIABLES);
                all.forEach(k -> valid.add(envName(k)));
                throw new IllegalArgumentException("unknown setting " + var + " (environment): no xmrec command has --" + key
                        + closest(var, valid));
            }
        }
        for (String k : new java.util.TreeSet<>(file.stringPropertyNames())) {
            int dot = k.indexOf('.');
            String command = dot < 0 ? null : k.substring(0, dot);
            String key = dot < 0 ? k : k.substring(dot + 1);
            if (command != null && byCommand.containsKey(command)) {
                if (!byCommand.get(command).contains(key)) {
                    throw new IllegalArgumentException("unknown setting " + k + " in " + filePath + ": xmrec " + command
                            + " has no --" + key + closest(key, byCommand.get(command)));
                }
            } else if (!all.contains(k)) {
                java.util.Set<String> valid = new java.util.TreeSet<>(all);
                byCommand.forEach((c, keys) -> keys.forEach(x -> valid.add(c + "." + x)));
                throw new IllegalArgumentException("unknown setting " + k + " in " + filePath + ": no xmrec command has --"
                        + k + closest(k, valid));
            }
        }
    }

    private static void collect(CommandLine c, Map<String, java.util.Set<String>> out) {
        for (CommandLine sub : c.getSubcommands().values()) {
            java.util.Set<String> keys = out.computeIfAbsent(sub.getCommandName(), k -> new java.util.TreeSet<>());
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp()) {
                    keys.add(o.longestName().substring(2));
                }
            }
            collect(sub, out);
        }
    }

    private static String closest(String wrong, java.util.Collection<String> valid) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String v : valid) {
            int d = distance(wrong.toLowerCase(Locale.ROOT), v.toLowerCase(Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = v;
            }
        }
        return best == null ? "" : "; did you mean " + best + "?";
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Takes {@code --config FILE} / {@code --config=FILE} out of the arguments; returns the file or null. */
    static Path extractConfig(List<String> args) {
        Path out = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--config")) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("--config needs a FILE");
                }
                out = Path.of(args.get(i + 1));
                args.remove(i + 1);
                args.remove(i);
                i--;
            } else if (a.startsWith("--config=")) {
                out = Path.of(a.substring("--config=".length()));
                args.remove(i);
                i--;
            }
        }
        return out;
    }

    static List<String> mutable(String[] args) {
        return new ArrayList<>(List.of(args));
    }
}
