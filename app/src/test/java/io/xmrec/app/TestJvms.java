package io.xmrec.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVMs that system tests and the fault bench start as processes (roles of the packaged app, brokers,
 * a Flink session cluster).
 */
final class TestJvms {

    /**
     * For the tests' short-lived processes: the client compiler only (C2's compilations are much of a short
     * run's CPU, and a test's processes share the two cores of CI with each other) and the serial collector.
     * Benchmarks never use these: they measure the JVM as deployed.
     */
    static final List<String> QUICK = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private TestJvms() {
    }

    /** The {@code java} launcher of the JVM running the tests. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Stops processes as SIGTERM does (each closing its parts), then kills what is still alive after 20 s. */
    static void stop(List<Process> processes) throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** {@code java -Xmx<heap> <QUICK> -jar <the packaged app>}, to which a role's arguments are added. */
    static List<String> quickApp(String heap) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx" + heap));
        cmd.addAll(QUICK);
        cmd.addAll(List.of("-jar", Path.of(System.getProperty("xmrec.app.jar", "target/xmrec.jar")).toString()));
        return cmd;
    }
}
