package io.xmrec.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** The {@code xmrec} command line: one entry point for every role. */
@Command(name = "xmrec", mixinStandardHelpOptions = true, versionProvider = XmrecCli.Version.class,
        description = "Streaming cross-market product recommender (FOREC: MAML-pretrained NMF, forked per market).",
        subcommands = {OfflineCommand.class, CompareCommand.class, IngestCommand.class, HoldoutsCommand.class, UpdaterCommand.class, DemoCommand.class, EvaluatorCommand.class, RegistryCommand.class, TopicsCommand.class, BrokerCommand.class, MarketsCommand.class, FreshnessCommand.class, CommandLine.HelpCommand.class})
public final class XmrecCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        java.util.List<String> a = ConfigDefaults.mutable(args);
        CommandLine cl;
        try {
            cl = commandLine(new ConfigDefaults(System.getenv(), ConfigDefaults.extractConfig(a)));
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

    /** The configured command line: user errors print one line, not a stack trace. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new XmrecCli());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter err = c.getErr();
            err.println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see "
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
