package io.xmrec.app;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C or SIGTERM for a command that runs until stopped. The JVM halts as soon as its shutdown
 * hooks return, so the hook here says "stopping", wakes the command's thread and then waits (up to
 * a grace period) until the command has closed its parts in order; {@link #close} ends that wait.
 * With {@code interrupt}, the command's thread is interrupted as well, for work that checks
 * interrupts (a replay, a blocking wait) rather than {@link #requested}.
 */
final class StopSignal implements AutoCloseable {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    StopSignal(String command, PrintWriter err, boolean interrupt, Duration grace) {
        Thread owner = Thread.currentThread();
        hook = new Thread(() -> {
            err.println(command + ": stopping ...");
            err.flush();
            requested.countDown();
            if (interrupt) {
                owner.interrupt();
            }
            try {
                finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "xmrec-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether a stop was asked for. */
    boolean requested() {
        return requested.getCount() == 0;
    }

    /**
     * Waits until a stop is asked for, then clears the stop's interrupt of this thread so that
     * closing the parts can wait for each of them.
     */
    void await() {
        while (!requested()) {
            try {
                requested.await();
            } catch (InterruptedException e) {
                // the stop's own interrupt, or another: look again
            }
        }
        settle();
    }

    /** After work that returned because of the stop: clears its interrupt (closing waits for each part). */
    void settle() {
        if (requested()) {
            Thread.interrupted();
        }
    }

    /** The command has closed everything: the hook may return and the JVM halt. */
    @Override
    public void close() {
        finished.countDown();
        if (!requested()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
    }
}
