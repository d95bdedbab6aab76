package io.xmrec.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** The {@code xmrec} command line: one entry point for every role. */
@Command(name = "xmrec", mixinStandardHelpOptions = true, versionProvider = XmrecCli.Version.class,
        description = "Streaming cross-market product recommender (FOREC: MAML-pretrained NMF, forked per market).",
        subcommands = {OfflineCommand.class, CompareCommand.class, IngestCommand.class, HoldoutsCommand.class, UpdaterCommand.class, DemoCommand.class, EvaluatorCommand.class, ServeCommand.class, RegistryCommand.class, RegistryAuthCommand.class, TopicsCommand.class, ManifestsCommand.class, BrokerCommand.class, MarketsCommand.class, SynthCommand.class, CommandLine.HelpCommand.class})
public final class XmrecCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The settings of this run (flags aside): where each value came from, for messages. */
    static volatile ConfigDefaults defaults;

    public static void main(String[] args) {
        java.util.List<String> a = ConfigDefaults.mutable(args);
        CommandLine cl;
        try {
            ConfigDefaults d = new ConfigDefaults(System.getenv(), ConfigDefaults.extractConfig(a));
            cl = commandLine(d);
            d.check(cl);
            defaults = d;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            System.err.println("xmrec: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cl.execute(a.toArray(new String[0])));
    }

    /** The command line with flags also read from the environment and a config file (see {@link ConfigDefaults}). */
    static CommandLine commandLine(ConfigDefaults defaults) {
        CommandLine cl = commandLine();
        cl.setDefaultValueProvider(defaults);
        return cl;
    }

    /** Where an option's value came from, for messages: "--data", "XMREC_DATA", "data= in FILE". */
    static String sourceOf(String key) {
        ConfigDefaults d = defaults;
        String s = d == null ? null : d.sourceOf(key);
        return s != null ? s : "--" + key;
    }

    /** The configured command line: user errors print one line, not a stack trace. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new XmrecCli());
        for (CommandLine sub : cl.getSubcommands().values()) {
            String[] footer = sub.getCommandSpec().usageMessage().footer();
            String[] more = java.util.Arrays.copyOf(footer, footer.length + 2);
            more[footer.length] = "";
            more[footer.length + 1] = ConfigDefaults.HOW;
            sub.getCommandSpec().usageMessage().footer(more);
        }
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter err = c.getErr();
            String hint = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                hint = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
            err.println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + hint + " (see "
                    + c.getCommandSpec().qualifiedName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException
                    || ex instanceof IllegalStateException) {
                c.getErr().println(c.getCommandSpec().qualifiedName() + ": error: " + ex.getMessage());
                if (System.getenv("XMREC_DEBUG") != null) {
                    ex.printStackTrace(c.getErr());
                }
                return 1;
            }
            throw ex;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = XmrecCli.class.getPackage().getImplementationVersion();
            return new String[] {"xmrec " + (v != null ? v : "dev") + " (" + Provenance.gitCommit() + ")"};
        }
    }
}
