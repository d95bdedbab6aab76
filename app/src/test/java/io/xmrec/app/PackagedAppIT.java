package io.xmrec.app;

import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged app as users run it ({@code java -jar app/target/xmrec.jar}, dependencies from
 * {@code lib/}), in its own process: a dependency the tests' classpath has but the jar's does not
 * (a test-scoped library the broker's logging needs at runtime, say) fails here.
 */
class PackagedAppIT {

    @Test
    void theJarRunsTheHoldoutJobOnAnEmbeddedBroker() throws Exception {
        Path jar = Path.of(System.getProperty("xmrec.app.jar", "target/xmrec.jar"));
        assertTrue(Files.isRegularFile(jar), "no packaged app at " + jar);
        Path data = TestData.dir();
        Path out = Files.createTempFile("xmrec-packaged", ".txt");
        Path dump = Files.createTempFile("xmrec-holdouts", ".tsv");
        List<String> cmd = TestJvms.quickApp("1g");
        cmd.addAll(List.of("holdouts", "--embedded", "--bounded", "--markets", "in", "--data", data.toString(),
                "--dump", dump.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(done, "the packaged app did not finish in 240 s:\n" + text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(Files.size(dump) > 0 && Files.readAllLines(dump).size() > 200, "holdouts dumped:\n" + text);
        new File(out.toString()).delete();
        Files.deleteIfExists(dump);
    }
}
