package io.xmrec.app;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stop signal's interrupt reaches a command while it works, never once it has begun closing. */
class StopSignalTest {

    private static StopSignal signal() {
        return new StopSignal("test", new PrintWriter(Writer.nullWriter()), true, Duration.ofSeconds(1));
    }

    @Test
    void aStopThatArrivesWhileTheCommandWaitsLeavesNoInterruptForItsClosing() throws Exception {
        Thread owner = Thread.currentThread();
        for (int i = 0; i < 2_000; i++) {
            try (StopSignal stop = signal()) {
                Thread signaller = new Thread(() -> stop.signal(owner));
                signaller.start();
                stop.await();
                signaller.join(); // the signal is over: whatever it did to this thread is done
                assertFalse(Thread.interrupted(), "the stop's interrupt outlived await() on round " + i);
            }
        }
    }

    @Test
    void aStopAfterTheCommandSettledDoesNotInterruptItsClosing() throws Exception {
        Thread owner = Thread.currentThread();
        try (StopSignal stop = signal()) {
            stop.settle(); // the work ended on its own; the command now closes its parts
            Thread signaller = new Thread(() -> stop.signal(owner));
            signaller.start();
            signaller.join();
            assertTrue(stop.requested());
            assertFalse(Thread.interrupted(), "the stop interrupted a command that was closing");
        }
    }

    @Test
    void aStopDuringTheWorkInterruptsIt() throws Exception {
        Thread owner = Thread.currentThread();
        try (StopSignal stop = signal()) {
            Thread signaller = new Thread(() -> stop.signal(owner));
            signaller.start();
            while (signaller.isAlive()) {
                Thread.onSpinWait(); // not join(): the interrupt this test waits for would end it
            }
            assertTrue(Thread.interrupted(), "work that checks interrupts is told to stop");
            stop.settle();
        }
    }
}
