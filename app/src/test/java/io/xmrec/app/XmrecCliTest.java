package io.xmrec.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.xmrec.core.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XmrecCliTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = XmrecCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void badFlagsAndNamesGetOneLineErrors() {
        for (String[] args : List.of(
                new String[] {"offline", "--target", "de", "--bogus"},
                new String[] {"offline", "--target", "zz"},
                new String[] {"offline", "--target", "de", "--source", "uk,xx", "--method", "nmf++"},
                new String[] {"offline", "--target", "de", "--method", "svd"},
                new String[] {"offline", "--target", "de", "--method", "nmf++"},
                new String[] {"offline", "--target", "de", "--source", "de", "--method", "nmf++"},
                new String[] {"offline", "--target", "de", "--epochs", "many"},
                new String[] {"offline"})) {
            Run r = run(args);
            assertTrue(r.code() != 0, String.join(" ", args));
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), "one line for " + String.join(" ", args) + ": " + err);
            assertTrue(err.startsWith("xmrec offline: "), err);
        }
        assertTrue(run("offline", "--target", "Z z").err().contains("market code 'Z z' is not valid"));
        String noFile = run("offline", "--target", "zz").err();
        assertTrue(noFile.contains("no file for market zz") && noFile.strip().lines().count() == 1, noFile);
        assertTrue(run("offline", "--target", "de", "--source", "uk,xx", "--method", "nmf++").err().contains("market xx"));
    }

    @Test
    void theDemosTrainingBudgetIsCheckedBeforeAnythingStarts() {
        Run method = run("demo", "--markets", "in", "--method", "svd");
        assertTrue(method.code() != 0 && method.err().strip().lines().count() == 1
                && method.err().startsWith("xmrec demo: ") && method.err().contains("unknown method 'svd'") && !method.err().contains("nmf@2"),
                method.err());
        Run epochs = run("demo", "--markets", "in", "--epochs", "0");
        assertTrue(epochs.code() != 0 && epochs.err().contains("--epochs must be positive"), epochs.err());
        assertTrue(!method.out().contains("broker") && !epochs.out().contains("broker"), "no system was started");
    }

    @Test
    void anAuditOfHoldoutsNeedsAFileAndRunsNoJob() {
        for (String[] args : List.of(new String[]{"holdouts", "--dump-only"},
                new String[]{"holdouts", "--dump-only", "--bounded", "--dump", "x.tsv"})) {
            Run r = run(args);
            assertTrue(r.code() != 0 && r.err().strip().lines().count() == 1
                    && r.err().contains("--dump-only needs --dump FILE"), String.join(" ", args) + ": " + r.err());
        }
    }

    @Test
    void helpExplainsEveryFlag() {
        Run r = run("offline", "--help");
        assertEquals(0, r.code());
        for (String flag : List.of("--data", "--target", "--source", "--method", "--epochs", "--seed", "--out",
                "--skip-bad-lines", "--early-stopping", "--[no-]item-bias", "--negatives-file", "--no-full")) {
            assertTrue(r.out().contains(flag), flag);
        }
    }

    @Test
    void offlineRunWritesTheDocumentedJsonAndCompareReadsIt() throws Exception {
        Path out = tmp.resolve("in.json");
        Path negs = tmp.resolve("negs.tsv");
        Run r = run("offline", "--data", TestData.dir().toString(), "--target", "in", "--source", "jp",
                "--method", "pop,gmf,gmf++", "--epochs", "1", "--no-epoch-validation", "--out", out.toString(),
                "--negatives-file", negs.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("gmf++"), r.out());
        assertTrue(Files.isRegularFile(negs));
        JsonNode root = ResultsJson.read(out);
        JsonNode prov = root.path("provenance");
        assertEquals(64, prov.path("data").path("in").path("sha256").asText().length());
        assertEquals(64, prov.path("data").path("jp").path("sha256").asText().length());
        assertEquals(42, prov.path("seed").asInt());
        assertFalse(prov.path("git_commit").asText().isEmpty());
        assertTrue(prov.path("hyper_parameters").path("nmf").path("learning_rate").isNumber());
        JsonNode results = root.path("results");
        assertEquals(6, results.size()); // 3 methods x 2 splits, target only
        Set<String> keys = new HashSet<>();
        results.get(0).fieldNames().forEachRemaining(keys::add);
        assertTrue(keys.containsAll(List.of("market", "method", "split", "users", "hr@10", "ndcg@10", "full_hr@10",
                "full_ndcg@10", "train_seconds", "samples_per_second")), keys.toString());
        for (JsonNode n : results) {
            assertEquals("in", n.path("market").asText());
            assertEquals(239, n.path("users").asInt());
        }
        assertEquals(6, root.path("per_user").size());
        assertEquals(239, root.path("per_user").get(0).path("ranks").size());

        // a second run reads the same negatives, and compare pairs users across the two files
        Path out2 = tmp.resolve("in2.json");
        assertEquals(0, run("offline", "--data", TestData.dir().toString(), "--target", "in", "--method", "gmf",
                "--epochs", "1", "--seed", "7", "--no-epoch-validation", "--out", out2.toString(),
                "--negatives-file", negs.toString()).code());
        Run c = run("compare", out.toString(), out2.toString(), "--method-a", "pop");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("users 239"), c.out());
        assertTrue(c.out().contains("Wilcoxon"), c.out());
        Run bad = run("compare", out.toString(), out2.toString());
        assertTrue(bad.code() != 0 && bad.err().contains("choose one with --method-a"), bad.err());
    }

    @Test
    void marketsDescribesEveryPairAndRanksTheSourcesAutoWouldPick() throws Exception {
        Path json = tmp.resolve("markets.json");
        Run r = run("markets", "--data", TestData.dir().toString(), "--markets", "in,jp,uk,mx", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("sources for --source auto"), r.out());
        JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        JsonNode pairs = root.path("pairs");
        for (String t : List.of("in", "jp", "uk", "mx")) {
            JsonNode ranked = root.path("auto_sources").path(t);
            assertEquals(3, ranked.size(), t);
            for (int i = 1; i < ranked.size(); i++) { // best first: by cosine, never rising
                assertTrue(pairs.path(t).path(ranked.get(i - 1).asText()).path("cosine").asDouble()
                        >= pairs.path(t).path(ranked.get(i).asText()).path("cosine").asDouble(), ranked.toString());
            }
        }
        assertEquals("uk", root.path("auto_sources").path("mx").get(0).asText()); // the closest pair of the seven
    }

    @Test
    void badDataGetsOneLineNamingFileAndLineWithControlBytesEscaped() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("data"));
        Files.copy(TestData.dir().resolve("jp_5core.txt"), dir.resolve("jp_5core.txt"));
        byte[] garbage = new byte[200_000];
        new java.util.Random(1).nextBytes(garbage);
        byte[] head = "userId itemId rate date\nu1 i1 5.0 2016-06-13\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] file = java.util.Arrays.copyOf(head, head.length + garbage.length);
        System.arraycopy(garbage, 0, file, head.length, garbage.length);
        Files.write(dir.resolve("in_5core.txt"), file);

        Run strict = run("offline", "--data", dir.toString(), "--target", "in", "--method", "pop");
        assertEquals(1, strict.code());
        String err = strict.err().strip();
        String last = err.lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("xmrec offline: error: " + dir.resolve("in_5core.txt") + ":3: "), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
        assertTrue(last.length() < 600, "capped: " + last.length() + " characters");
        assertTrue(last.chars().noneMatch(c -> c < 0x20), "control bytes escaped");

        Run skipping = run("offline", "--data", dir.toString(), "--target", "in", "--method", "pop",
                "--skip-bad-lines", "--max-bad-lines", "5");
        assertEquals(1, skipping.code());
        assertTrue(skipping.err().contains("more than 5 bad lines"), skipping.err());
        assertTrue(skipping.err().length() < 20_000, "bounded output: " + skipping.err().length());

        Path missing = Files.createDirectories(tmp.resolve("empty"));
        Run none = run("offline", "--data", missing.toString(), "--target", "in", "--method", "pop");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no file for market in in " + missing + " (from --data): expected in_<anything>.txt"),
                none.err());
    }

    @Test
    void aShopsOwnMarketCodesWorkOfflineFromSynthToMarketsToTraining() {
        Path dir = tmp.resolve("shop");
        Run synth = run("synth", "--out", dir.toString(), "--markets", "us,es-b2b", "--scale", "0.2", "--seed", "3");
        assertEquals(0, synth.code(), synth.err());
        assertTrue(Files.isRegularFile(dir.resolve("us_5core.txt")) && Files.isRegularFile(dir.resolve("es-b2b_5core.txt")));
        Run markets = run("markets", "--data", dir.toString());
        assertEquals(0, markets.code(), markets.err());
        assertTrue(markets.out().contains("es-b2b") && markets.out().contains("us"), markets.out());
        Run offline = run("offline", "--data", dir.toString(), "--target", "us", "--source", "es-b2b", "--method",
                "pop,nmf,nmf++", "--epochs", "1", "--early-stopping", "0", "--no-full");
        assertEquals(0, offline.code(), offline.err());
        List<String> rows = offline.out().lines().filter(l -> l.startsWith("us ") && l.contains(" test ")).toList();
        assertEquals(3, rows.size(), offline.out());
        Run unknown = run("offline", "--data", dir.toString(), "--target", "fr", "--method", "pop");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no file for market fr") && unknown.err().contains("fr_<anything>.txt"),
                unknown.err());
    }
}
