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
}
