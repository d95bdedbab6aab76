package io.xmrec.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounds docs/design.md ("Modules, in the order the data flows") keeps the code to, read off the
 * sources of every module: no main class over 450 lines, the updater's wiring under 300, and no record
 * or constructor of more than eight parameters (group them in records, or build by name).
 */
class LayoutCheckTest {

    static final int MAX_LINES = 450;
    static final int MAX_PARAMETERS = 8;

    static List<Path> mainSources() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(DeploymentFilesTest.repo())) {
            all.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && !p.toString().contains("/target/")).forEach(out::add);
        }
        assertTrue(out.size() > 100, "found the sources: " + out.size());
        return out;
    }

    @Test
    void noMainClassIsLongerThanTheBound() throws IOException {
        List<String> over = new ArrayList<>();
        for (Path p : mainSources()) {
            long lines = Files.readAllLines(p).size();
            if (lines > MAX_LINES) {
                over.add(p.getFileName() + " " + lines);
            }
        }
        assertEquals(List.of(), over, "main classes over " + MAX_LINES + " lines");
        Path updater = mainSources().stream().filter(p -> p.getFileName().toString().equals("ContinualUpdater.java"))
                .findFirst().orElseThrow();
        assertTrue(Files.readAllLines(updater).size() <= 300, "ContinualUpdater wires the parts: at most 300 lines");
    }

    @Test
    void noRecordOrConstructorTakesMoreThanEightParameters() throws IOException {
        List<String> over = new ArrayList<>();
        for (Path p : mainSources()) {
            String text = Files.readString(p);
            for (String found : wideDeclarations(text)) {
                over.add(p.getFileName() + ": " + found);
            }
        }
        assertEquals(List.of(), over, "records and constructors over " + MAX_PARAMETERS + " parameters");
    }

    @Test
    void theCheckFindsAWideRecordAndAWideConstructor() {
        String wide = "record R(int a, int b, int c, int d, int e, int f, int g, int h, Map<String, List<Integer>> i) {}\n"
                + "class C { public C(int a, int b, int c, int d, int e, int f, int g, int h, int i) throws IOException { } "
                + "void m(int a, int b, int c, int d, int e, int f, int g, int h, int i) { } }";
        assertEquals(List.of("R (9)", "C (9)"), wideDeclarations(wide));
        assertEquals(List.of(), wideDeclarations("record R(Map<String, Integer> a, int b) {} class R2 { R2(int a) { } }"));
    }

    private static final Pattern DECLARATION = Pattern.compile("\\b(?:record\\s+(\\w+)\\s*(?:<[^>{]*>)?\\s*\\(|(\\w+)\\s*\\()");

    /** Records and constructors (a call of a type's own name followed by a body) with too many parameters. */
    static List<String> wideDeclarations(String text) {
        Set<String> types = new HashSet<>();
        Matcher declared = Pattern.compile("\\b(?:class|record|enum)\\s+(\\w+)").matcher(text);
        while (declared.find()) {
            types.add(declared.group(1));
        }
        List<String> out = new ArrayList<>();
        Matcher m = DECLARATION.matcher(text);
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            if (!types.contains(name)) {
                continue;
            }
            int depth = 1;
            int j = m.end();
            int commas = 0;
            int angle = 0;
            boolean any = false;
            for (; j < text.length() && depth > 0; j++) {
                char c = text.charAt(j);
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                } else if (c == '<') {
                    angle++;
                } else if (c == '>') {
                    angle--;
                } else if (c == ',' && depth == 1 && angle == 0) {
                    commas++;
                }
                if (depth > 0 && !Character.isWhitespace(c)) {
                    any = true;
                }
            }
            if (m.group(1) == null) {
                String after = text.substring(j, Math.min(text.length(), j + 40)).stripLeading();
                if (!after.startsWith("{") && !after.startsWith("throws")) {
                    continue; // a call, not a declaration
                }
                if (m.start() > 0 && text.substring(Math.max(0, m.start() - 4), m.start()).contains("new")) {
                    continue;
                }
            }
            int parameters = any ? commas + 1 : 0;
            if (parameters > MAX_PARAMETERS) {
                out.add(name + " (" + parameters + ")");
            }
        }
        return out;
    }
}
