package io.xmrec.app.embedded;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommitProgressTest {

    private static CommitProgress.Sample at(double s, long c) {
        return new CommitProgress.Sample(s, c);
    }

    @Test
    void theSteadyRateRunsFromTheStepsFirstSeenNotFromTheirPlateaus() {
        // nothing for 10 s (start-up), then 100 records committed every 2 s, sampled every 0.5 s
        List<CommitProgress.Sample> samples = new java.util.ArrayList<>();
        for (int i = 0; i <= 60; i++) {
            double t = i * 0.5;
            long c = t < 10 ? 0 : Math.min(1000, 100 * (1 + (long) ((t - 10) / 2)));
            samples.add(at(t, c));
        }
        CommitProgress.Summary s = CommitProgress.summarise(samples);
        assertEquals(1000, s.committed());
        assertEquals(10.0, s.firstCommitSeconds(), 1e-9);
        // 10% (100) first seen at 10 s, 90% (900) at 26 s: 800 records in 16 s
        assertEquals(50.0, s.steadyPerSecond(), 1e-9);
    }

    @Test
    void withoutCommitsThereIsNoRate() {
        CommitProgress.Summary s = CommitProgress.summarise(List.of(at(0.5, 0), at(1.0, 0)));
        assertEquals(0, s.committed());
        assertTrue(Double.isNaN(s.firstCommitSeconds()));
        assertTrue(Double.isNaN(s.steadyPerSecond()));
        assertTrue(Double.isNaN(CommitProgress.summarise(List.of()).steadyPerSecond()));
    }
}
