package io.xmrec.core.holdout;

import io.xmrec.core.data.Interaction;

import java.util.List;
import java.util.Optional;

/**
 * The leave-one-out split of one user, kept up to date one event at a time.
 *
 * <p>The latest interaction by event time (day, then source position) is the test item, the one
 * before it the validation item, everything older is training data. When a new event arrives it
 * becomes the test item, the previous test item becomes the validation item and the previous
 * validation item is promoted to training; a late event is placed by its event time, so it may go
 * straight to training. Because an event that has left the two newest places can never re-enter
 * them, training only grows, and the state is constant-sized: the two held-out events and a count.
 *
 * <p>The offline split feeds a user's events through this class in file order, the streaming job
 * feeds them as they arrive; both end in the same split for the same events in any order.
 */
public final class RollingHoldout {

    private Interaction validation;
    private Interaction test;
    private int trainCount;

    /** An empty holdout for a user not seen yet. */
    public RollingHoldout() {
    }

    /** Restores a holdout from saved state (streaming state backends, restarts). */
    public static RollingHoldout restore(Interaction validation, Interaction test, int trainCount) {
        if (trainCount < 0 || (validation == null && trainCount != 0)) {
            throw new IllegalArgumentException("bad holdout state: " + trainCount + " training interactions, validation " + validation);
        }
        if (test == null && validation != null) {
            throw new IllegalArgumentException("validation item without a test item");
        }
        if (validation != null && Interaction.compareByTime(validation, test) > 0) {
            throw new IllegalArgumentException("validation item is newer than the test item");
        }
        RollingHoldout h = new RollingHoldout();
        h.validation = validation;
        h.test = test;
        h.trainCount = trainCount;
        return h;
    }

    /**
     * Adds one event and says what changed: the event promoted to training (if any) and whether
     * the held-out pair changed.
     */
    public Update add(Interaction e) {
        if (test == null) {
            test = e;
            return new Update(null, true);
        }
        if (validation == null) {
            if (newer(e, test)) {
                validation = test;
                test = e;
            } else {
                validation = e;
            }
            return new Update(null, true);
        }
        Interaction promoted;
        if (newer(e, test)) {
            promoted = validation;
            validation = test;
            test = e;
        } else if (newer(e, validation)) {
            promoted = validation;
            validation = e;
        } else {
            trainCount++;
            return new Update(e, false);
        }
        trainCount++;
        return new Update(promoted, true);
    }

    private static boolean newer(Interaction a, Interaction b) {
        return Interaction.compareByTime(a, b) > 0;
    }

    public Optional<Interaction> validation() {
        return Optional.ofNullable(validation);
    }

    public Optional<Interaction> test() {
        return Optional.ofNullable(test);
    }

    /** Number of interactions promoted to training so far. */
    public int trainCount() {
        return trainCount;
    }

    /** All interactions seen: training plus held out. */
    public int size() {
        return trainCount + (validation == null ? 0 : 1) + (test == null ? 0 : 1);
    }

    /** Whether the user has enough interactions to be evaluated (the protocol drops users below 7). */
    public boolean eligible(int minInteractions) {
        return validation != null && size() >= minInteractions;
    }

    /**
     * What one event changed.
     *
     * @param promoted       the interaction that moved into training, or null
     * @param holdoutChanged whether the validation or test item changed
     */
    public record Update(Interaction promoted, boolean holdoutChanged) {
        public List<Interaction> promotedList() {
            return promoted == null ? List.of() : List.of(promoted);
        }
    }
}
