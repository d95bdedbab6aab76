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
 * interrupts (a replay, a blocking wait) rather than {@link #requested}; that interrupt is never
 * delivered once the command has {@linkplain #settle settled} (started closing its parts), so no
 * close of a part that joins a thread sees it.
 */
final class StopSignal implements AutoCloseable {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    /** Guards {@link #interruptible}: the signal and the owner's settling never interleave. */
    private final Object lock = new Object();
    private boolean interruptible;

    StopSignal(String command, PrintWriter err, boolean interrupt, Duration grace) {
        Thread owner = Thread.currentThread();
        interruptible = interrupt;
        hook = new Thread(() -> {
            err.println(command + ": stopping ...");
            err.flush();
            signal(owner);
            try {
                finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "xmrec-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * What the signal does to the command: marks the stop and, while the command has not settled,
     * interrupts its thread. One step under the lock, so that an interrupt always lands before
     * {@link #settle} clears it, never after (it did, and every close after it that joined a thread
     * failed: issue 29).
     */
    void signal(Thread owner) {
        synchronized (lock) {
            requested.countDown();
            if (interruptible) {
                owner.interrupt();
            }
        }
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

    /**
     * The command starts closing its parts: from now on the stop no longer interrupts its thread, and
     * an interrupt the stop already delivered is cleared (closing waits for each part).
     */
    void settle() {
        synchronized (lock) {
            interruptible = false;
            if (requested()) {
                Thread.interrupted();
            }
        }
    }

    /** The command has closed everything: the hook may return and the JVM halt. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already (the stop came from the hook)
        }
    }
}
