package io.xmrec.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Flags, environment variables and the config file: one set of keys, flag > environment > file > default. */
class ConfigDefaultsTest {

    private static CommandLine.ParseResult parse(ConfigDefaults d, String... args) {
        return XmrecCli.commandLine(d).parseArgs(args);
    }

    private static <T> T command(CommandLine.ParseResult r, Class<T> type) {
        return type.cast(r.subcommand().commandSpec().userObject());
    }

    @Test
    void everyOptionOfEveryRoleReadsTheSameKeysFromEnvironmentAndFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("xmrec.properties");
        Files.writeString(file, "registry=http://registry:8081\nport=7777\nevaluator.port=9999\n"
                + "updater.head-sample=321\nworkers=3\n");
        ConfigDefaults d = new ConfigDefaults(Map.of("XMREC_BOOTSTRAP", "kafka:9092", "XMREC_WORKERS", "4"), file);

        EvaluatorCommand e = command(parse(d, "evaluator"), EvaluatorCommand.class);
        assertEquals("kafka:9092", e.kafka.bootstrap, "from the environment");
        assertEquals("http://registry:8081", e.kafka.registry, "from the file");
        assertEquals(9999, e.port, "the command's own key beats the plain one");

        RegistryCommand r = command(parse(d, "registry"), RegistryCommand.class);
        assertEquals(7777, r.port, "the plain key");
        assertEquals("kafka:9092", r.bootstrap);

        UpdaterCommand u = command(parse(d, "updater", "--bootstrap", "other:1"), UpdaterCommand.class);
        assertEquals("other:1", u.kafka.bootstrap, "a flag beats the environment");
        assertEquals(321, u.headSample);
        assertEquals(4, u.workers, "the environment beats the file");
        assertEquals(200L, u.fastDelayMs, "built-in default when nothing sets it");
    }

    @Test
    void offlineDefaultsAreTheLibrarysWhichTheUpdaterUsesTooAndAListFlagReplacesItsDefault() {
        ConfigDefaults d = new ConfigDefaults(Map.of(), null);
        OfflineCommand o = command(parse(d, "offline", "--target", "jp"), OfflineCommand.class);
        assertEquals(io.xmrec.model.recipe.TrainingSettings.defaults(), o.training(),
                "offline with no flags trains with the settings of the updater's trunk");
        OfflineCommand small = command(parse(d, "offline", "--target", "jp", "--mlp-dim", "4", "--layers", "8,4",
                "--head", "16"), OfflineCommand.class);
        assertEquals(List.of(8, 4), small.training().ncf().mlpLayers());
        assertEquals(List.of(16), small.training().forec().headWidths());
        assertEquals(List.of(32, 64, 32, 16), io.xmrec.model.NcfOptions.defaults().mlpLayers(), "the default is untouched");
    }

    @Test
    void configFileComesFromTheFlagOrTheEnvironmentAndMustBeReadable(@TempDir Path dir) throws Exception {
        List<String> args = ConfigDefaults.mutable(new String[] {"--config", "a.properties", "updater", "--config=b.properties"});
        assertEquals(Path.of("b.properties"), ConfigDefaults.extractConfig(args), "the last one counts");
        assertEquals(List.of("updater"), args);
        Path missing = dir.resolve("nope.properties");
        var ex = assertThrows(java.io.UncheckedIOException.class,
                () -> new ConfigDefaults(Map.of("XMREC_CONFIG", missing.toString()), null));
        assertTrue(ex.getMessage().contains(missing.toString()), ex.getMessage());
        assertEquals("XMREC_KAFKA_CONFIG", ConfigDefaults.envName("kafka-config"));
    }

    @Test
    void aTypoInAFlagIsAnErrorNamingTheFlagAndTheClosestOne() {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = XmrecCli.commandLine(new ConfigDefaults(Map.of(), null));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.getSubcommands().values().forEach(c -> c.setErr(new java.io.PrintWriter(err, true)));
        int rc = cl.execute("offline", "--target", "in", "--epoch", "3");
        assertEquals(2, rc);
        assertTrue(err.toString().contains("--epoch") && err.toString().contains("--epochs"), err.toString());
    }

    @Test
    void aTypoInAnEnvironmentVariableIsAnErrorNamingTheClosestVariable() {
        ConfigDefaults d = new ConfigDefaults(Map.of("XMREC_EPOCH", "2", "XMREC_DATA_DIR", "/d", "XMREC_DEBUG", "1"), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.check(XmrecCli.commandLine(d)));
        assertEquals("unknown setting XMREC_EPOCH (environment): no xmrec command has --epoch; did you mean XMREC_EPOCHS?",
                e.getMessage());
        ConfigDefaults ok = new ConfigDefaults(Map.of("XMREC_EPOCHS", "2", "XMREC_DATA_DIR", "/d", "PATH", "/bin"), null);
        ok.check(XmrecCli.commandLine(ok));
    }

    @Test
    void aTypoInTheConfigFileIsAnErrorButAnotherCommandsKeyIsLeftAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("xmrec.properties");
        Files.writeString(file, "epoch=3\n");
        ConfigDefaults plain = new ConfigDefaults(Map.of(), file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> plain.check(XmrecCli.commandLine(plain)));
        assertEquals("unknown setting epoch in " + file + ": no xmrec command has --epoch; did you mean epochs?",
                e.getMessage());

        Files.writeString(file, "updater.epoch=3\n");
        ConfigDefaults scoped = new ConfigDefaults(Map.of(), file);
        e = assertThrows(IllegalArgumentException.class, () -> scoped.check(XmrecCli.commandLine(scoped)));
        assertEquals("unknown setting updater.epoch in " + file + ": xmrec updater has no --epoch; did you mean epochs?",
                e.getMessage());

        Files.writeString(file, "bogus.key=1\n");
        ConfigDefaults bogus = new ConfigDefaults(Map.of(), file);
        e = assertThrows(IllegalArgumentException.class, () -> bogus.check(XmrecCli.commandLine(bogus)));
        assertTrue(e.getMessage().startsWith("unknown setting bogus.key in " + file), e.getMessage());

        // one file serves every role: the evaluator's port and the offline runner's epochs together
        Files.writeString(file, "evaluator.port=9999\nepochs=3\nhead-sample=10\n");
        ConfigDefaults shared = new ConfigDefaults(Map.of(), file);
        CommandLine cl = XmrecCli.commandLine(shared);
        shared.check(cl);
        OfflineCommand o = command(cl.parseArgs("offline", "--target", "in"), OfflineCommand.class);
        assertEquals(3, o.epochs);
        assertEquals("epochs= in " + file, shared.sourceOf("epochs"), "the log can name the real source");
    }

    @Test
    void theUpdaterRunsEveryPathUnlessToldWhichAndRefusesAnUnknownOne() {
        ConfigDefaults d = new ConfigDefaults(Map.of(), null);
        assertEquals(java.util.Set.of("fast", "medium", "slow"),
                command(parse(d, "updater"), UpdaterCommand.class).settings().paths());
        assertEquals(java.util.Set.of("fast"),
                command(parse(d, "updater", "--paths", "fast"), UpdaterCommand.class).settings().paths(), "the list replaces the default");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> command(parse(d, "updater", "--paths", "fast,quick"), UpdaterCommand.class).settings());
        assertTrue(e.getMessage().contains("quick"), e.getMessage());
    }

    @Test
    void everyCommandsHelpSaysHowSettingsCombineAndPrintsNoWarning() {
        for (var entry : XmrecCli.commandLine(new ConfigDefaults(Map.of(), null)).getSubcommands().entrySet()) {
            java.io.ByteArrayOutputStream errBytes = new java.io.ByteArrayOutputStream();
            java.io.PrintStream oldErr = System.err;
            String usage;
            try {
                System.setErr(new java.io.PrintStream(errBytes, true));
                usage = entry.getValue().getUsageMessage();
            } finally {
                System.setErr(oldErr);
            }
            assertTrue(usage.contains("XMREC_OPTION") && usage.contains("--config FILE"), entry.getKey() + ": " + usage);
            assertEquals("", errBytes.toString(), entry.getKey() + " --help printed a warning");
        }
    }

    @Test
    void theOfflineCommandsDefaultsAreTheRecipesDefaults() {
        OfflineCommand o = command(parse(new ConfigDefaults(Map.of(), null), "offline", "--target", "in"), OfflineCommand.class);
        io.xmrec.model.NcfOptions d = io.xmrec.model.NcfOptions.defaults();
        assertEquals(List.of(d.gmfDim(), d.mlpDim(), d.mlpLayers(), d.l2(), d.negatives(), d.epochs(), d.batchSize(),
                        d.itemBias(), d.patience()),
                List.of(o.gmfDim, o.mlpDim, o.layers, o.l2, o.negatives, o.epochs, o.batchSize, o.itemBias, o.earlyStopping),
                "xmrec offline and the updater train with the same defaults");
        io.xmrec.model.ForecFork.Options f = io.xmrec.model.ForecFork.Options.defaults();
        assertEquals(List.of(f.headWidths(), f.learningRate(), f.l2(), f.batchSize(), f.epochs()),
                List.of(o.head, o.forecLr, o.forecL2, o.forecBatch, o.forecEpochs), "the same FOREC defaults");
    }
}
