package io.xmrec.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests for what another thread or process does: polls a condition until it holds or the
 * time is up, and fails with what was awaited and whatever helps to see why (a log, a state). One
 * polling loop for every integration test and bench driver instead of one each.
 */
public final class Await {

    private Await() {
    }

    /** Polls {@code ok} every 100 ms; true once it holds, false when {@code timeout} ran out first. */
    public static boolean until(Duration timeout, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (ok.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(100);
        }
    }

    /** As {@link #until}, failing with "timed out after T waiting for WHAT" and the {@code detail} when time runs out. */
    public static void require(String what, Duration timeout, BooleanSupplier ok, Supplier<String> detail)
            throws InterruptedException {
        if (!until(timeout, ok)) {
            String d = detail.get();
            throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
                    + (d == null || d.isEmpty() ? "" : "; " + d));
        }
    }

    /** As {@link #require(String, Duration, BooleanSupplier, Supplier)} without more detail. */
    public static void require(String what, Duration timeout, BooleanSupplier ok) throws InterruptedException {
        require(what, timeout, ok, () -> "");
    }
}
