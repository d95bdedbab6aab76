package io.xmrec.model.updater;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After a new model is installed, the users with interactions waiting go first; its backlog drains a bounded part per job. */
class PendingTest {

    @Test
    void anInstallsBacklogComesAfterTheWaitingUsersAndABoundedPartPerJob() {
        MarketInput in = new MarketInput("xx");
        long offset = 0;
        for (int u = 0; u < 1000; u++) {
            in.train(new MarketInput.Entry("u" + u, "i" + (u % 50), 5, u, u, "p0", offset++));
        }
        Pending p = new Pending();
        // three interactions read but in no model yet, of two users
        p.waiting.add(new Pending.Promoted("u7", "p0", 7, 1));
        p.waiting.add(new Pending.Promoted("u900", "p0", 900, 2));
        p.waiting.add(new Pending.Promoted("u900", "p0", 901, 3));
        // the new model knows the users with an even number; trained through offset 0, it predates everyone's data
        p.resetTo(in, u -> Integer.parseInt(u.substring(1)) % 2 == 0, Map.of("p0", 0L), 0);
        assertEquals(Set.of("u7", "u900"), p.users, "the users with interactions waiting");
        assertEquals(998, p.backlog.size(), "every other user: those it lacks and those whose rows predate their data");
        assertTrue(p.backlog.stream().limit(499).allMatch(u -> Integer.parseInt(u.substring(1)) % 2 == 1),
                "the users the model lacks first (they get popular items until then): " + p.backlog);
        assertFalse(p.isEmpty());

        Set<String> first = p.takeJob(1, Map.of()).users();
        assertEquals(2 + Pending.BACKLOG_BESIDE_WAITING, first.size(),
                "the waiting users and a small part of the backlog: their interactions are not held up by it");
        assertTrue(first.containsAll(Set.of("u7", "u900")));
        assertTrue(p.waiting.isEmpty() && p.users.isEmpty(), "the job took the waiting interactions");
        assertEquals(998 - Pending.BACKLOG_BESIDE_WAITING, p.backlog.size());
        assertEquals(1, p.oldestNanos, "what is left is due again from the job's start");

        Set<String> second = p.takeJob(2, Map.of()).users();
        assertEquals(Pending.BACKLOG_ALONE, second.size(), "with nothing waiting, a larger part of the backlog");

        // a backlog user with a new interaction is a waiting user for the next job
        p.users.add("u999");
        Set<String> seen = new HashSet<>(first);
        seen.addAll(second);
        int jobs = 2;
        while (!p.isEmpty()) {
            boolean waiting = !p.users.isEmpty();
            Set<String> next = p.takeJob(3, Map.of()).users();
            assertTrue(next.size() <= (waiting ? 1 + Pending.BACKLOG_BESIDE_WAITING : Pending.BACKLOG_ALONE),
                    "bounded: " + next.size());
            next.forEach(u -> assertTrue(seen.add(u) || u.equals("u999"), "re-fitted once: " + u));
            jobs++;
        }
        assertEquals(1000, seen.size(), "every user re-fitted");
        assertEquals(6, jobs, "32 + 256 + (u999 and 32) + 256 + 256 + the last 166");
    }

    @Test
    void aJobTakesTheLongestWaitingUsersUpToItsCapAndPublishesThroughTheFirstOneLeft() {
        Pending p = new Pending();
        p.startingAt(5);
        int n = Pending.WAITING_PER_JOB + 100;
        // users read in the order n-1 .. 0 (the longest waiting last in name order), one interaction each on p0,
        // and one more interaction of the first one read, on p1
        for (int k = 0; k < n; k++) {
            String u = String.format("u%05d", n - 1 - k);
            p.users.add(u);
            p.waiting.add(new Pending.Promoted(u, "p0", k, 1000 + k));
        }
        p.waiting.add(new Pending.Promoted(String.format("u%05d", n - 1), "p1", 3, 9999));
        Pending.Job first = p.takeJob(7, Map.of("p0", (long) n, "p1", 4L));
        assertEquals(Pending.WAITING_PER_JOB, first.users().size(), "capped");
        assertTrue(first.users().contains(String.format("u%05d", n - 1)) && !first.users().contains("u00000"),
                "the longest waiting first, not the first in name order");
        assertEquals(Pending.WAITING_PER_JOB + 1, first.promotedMillis().length, "their interactions are served");
        assertEquals(Map.of("p0", (long) Pending.WAITING_PER_JOB, "p1", 4L), first.through(),
                "trained through the first interaction of a user left, not where the input was read to");
        assertEquals(100, p.users.size());
        assertEquals(100, p.waiting.size(), "the users left keep their interactions for the freshness count");
        assertEquals(5, p.oldestNanos, "the users left are due at once, not after another delay");
        assertEquals(Map.of("p0", (long) Pending.WAITING_PER_JOB, "p1", 9L),
                p.coveredThrough(Map.of("p0", (long) n + 50, "p1", 9L)),
                "a head's delta published meanwhile: read further, still not past the first interaction waiting");

        Pending.Job second = p.takeJob(8, Map.of("p0", (long) n, "p1", 4L));
        assertEquals(100, second.users().size());
        assertTrue(second.users().stream().noneMatch(first.users()::contains));
        assertEquals(Map.of("p0", (long) n, "p1", 4L), second.through(), "nothing left: where the input was read to");
        assertTrue(p.isEmpty() && p.waiting.isEmpty());
        assertEquals(8, p.oldestNanos);
    }
}
