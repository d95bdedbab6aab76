package io.xmrec.core.metrics;

/** Anything that scores (user, item) pairs given as vocabulary indices; higher means more likely. */
@FunctionalInterface
public interface Scorer {

    /** Scores pairs {@code (users[i], items[i])}; both arrays have the same length. */
    float[] score(int[] users, int[] items);
}
