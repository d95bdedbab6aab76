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
 * wins over the built-in default.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {

    private final Map<String, String> env;
    private final Properties file = new Properties();

    ConfigDefaults(Map<String, String> env, Path configFile) {
        this.env = env;
        Path f = configFile != null ? configFile : env.get("XMREC_CONFIG") != null ? Path.of(env.get("XMREC_CONFIG")) : null;
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
        if (v == null && o.command() != null) {
            v = file.getProperty(o.command().name() + "." + key);
        }
        if (v == null) {
            v = file.getProperty(key);
        }
        return v;
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
