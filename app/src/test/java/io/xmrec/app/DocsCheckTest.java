package io.xmrec.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The docs stay true: every relative link and every repository path they name exists, every
 * {@code ./xmrec <command>} they show exists with the flags written after it, the command list
 * equals the CLI's, and every key of the configuration table is an option of the commands it names.
 */
class DocsCheckTest {

    private static final Path REPO = DeploymentFilesTest.repo();
    private static final Set<String> TOP = Set.of("app", "core", "docs", "bench", "docker", "infra", "schemas", "serving",
            "evaluator", "experiments", "model-updater", "stream-processors", "ingest-connectors", "embedded", ".ci");

    static List<Path> docs() throws IOException {
        List<Path> out = new ArrayList<>(List.of(REPO.resolve("README.md"), REPO.resolve("bench/results/README.md"),
                REPO.resolve("docker/README.md"), REPO.resolve("infra/README.md")));
        try (Stream<Path> s = Files.list(REPO.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
        }
        return out;
    }

    private static Map<String, CommandLine> commands() {
        return XmrecCli.commandLine().getSubcommands();
    }

    @Test
    void theReadmeIsShortAndEveryDocExists() throws IOException {
        for (Path d : docs()) {
            assertTrue(Files.isRegularFile(d), d + " is missing");
        }
        long lines = Files.readAllLines(REPO.resolve("README.md")).size();
        assertTrue(lines <= 200, "README.md has " + lines + " lines; the rest belongs in docs/");
    }

    @Test
    void everyRelativeLinkAndNamedPathExists() throws IOException {
        List<String> missing = new ArrayList<>();
        Pattern link = Pattern.compile("\\]\\(([^)\\s]+)\\)");
        Pattern code = Pattern.compile("`([^`\\s]+)`");
        for (Path d : docs()) {
            String text = Files.readString(d);
            Matcher m = link.matcher(text);
            while (m.find()) {
                String target = m.group(1).replaceFirst("#.*", "");
                if (target.isEmpty() || target.matches("[a-z]+:.*")) {
                    continue;
                }
                if (!Files.exists(d.getParent().resolve(target).normalize())) {
                    missing.add(REPO.relativize(d) + ": link " + m.group(1));
                }
            }
            Matcher c = code.matcher(text);
            while (c.find()) {
                String p = c.group(1).replaceAll("[.,:;]$", "");
                int slash = p.indexOf('/');
                if (slash < 1 || !TOP.contains(p.substring(0, slash)) || p.contains("://")) {
                    continue;
                }
                // a glob or placeholder: the part before it must exist
                String fixed = p.split("[*<{]", 2)[0];
                fixed = fixed.contains("/") ? fixed.substring(0, fixed.lastIndexOf('/') + 1) : fixed;
                Path target = REPO.resolve(p.matches(".*[*<{].*") ? fixed : p);
                if (!Files.exists(target)) {
                    missing.add(REPO.relativize(d) + ": path " + p);
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void everyCommandShownExistsWithItsFlags() throws IOException {
        List<String> wrong = new ArrayList<>();
        Pattern shown = Pattern.compile("\\./xmrec ([a-z-]+)([^`\\n|]*)");
        for (Path d : docs()) {
            Matcher m = shown.matcher(Files.readString(d));
            while (m.find()) {
                CommandLine c = commands().get(m.group(1));
                if (c == null) {
                    wrong.add(REPO.relativize(d) + ": no command " + m.group(1));
                    continue;
                }
                Matcher f = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*)").matcher(m.group(2));
                while (f.find()) {
                    String flag = f.group(1);
                    if (c.getCommandSpec().findOption(flag) == null
                            && c.getCommandSpec().findOption(flag.replaceFirst("^--no-", "--")) == null) {
                        wrong.add(REPO.relativize(d) + ": ./xmrec " + m.group(1) + " has no " + flag);
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void theRolesTableListsExactlyTheCliCommandsAndTheKeyTableNamesRealOptions() throws IOException {
        String ops = Files.readString(REPO.resolve("docs/operations.md"));
        Set<String> listed = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| (`\\./xmrec [^|]+)\\|").matcher(ops);
        while (row.find()) {
            Matcher cmd = Pattern.compile("`\\./xmrec ([a-z-]+)`").matcher(row.group(1));
            while (cmd.find()) {
                listed.add(cmd.group(1));
            }
        }
        Set<String> cli = new TreeSet<>();
        commands().forEach((name, c) -> {
            if (!c.getCommandSpec().usageMessage().hidden() && !name.equals("help")) {
                cli.add(name);
            }
        });
        assertEquals(cli, listed, "the roles table of docs/operations.md vs the CLI's commands");

        String table = ops.substring(ops.indexOf("| key | commands | meaning |"));
        table = table.substring(0, table.indexOf("\n\n"));
        List<String> wrong = new ArrayList<>();
        int rows = 0;
        for (String line : table.split("\n")) {
            String[] cells = line.split("\\|");
            if (cells.length < 4 || !cells[1].contains("`")) {
                continue;
            }
            rows++;
            List<String> keys = new ArrayList<>();
            Matcher k = Pattern.compile("`([a-z0-9-]+)`").matcher(cells[1]);
            while (k.find()) {
                keys.add(k.group(1));
            }
            for (String command : cells[2].split(",")) {
                CommandLine c = commands().get(command.trim());
                if (c == null) {
                    wrong.add("no command " + command.trim());
                    continue;
                }
                for (String key : keys) {
                    if (c.getCommandSpec().findOption("--" + key) == null) {
                        wrong.add("xmrec " + command.trim() + " has no --" + key);
                    }
                }
            }
        }
        assertTrue(rows > 5, "the configuration table was found");
        assertEquals(List.of(), wrong, "the configuration table of docs/operations.md");
    }
}
