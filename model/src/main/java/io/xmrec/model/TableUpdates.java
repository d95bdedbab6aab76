package io.xmrec.model;

import java.util.Locale;

/**
 * How Adam updates the user and item tables. Dense: every row at every step (the moments of rows no
 * batch touched decay and, with L2, so do their weights), as PyTorch's and DL4J's Adam do; a step
 * costs the size of the tables. Lazy: only the rows the batch touched, their moments and L2 too; a
 * step costs what the batch touches. Dense regularises rare users and items more (between their
 * batches they are pulled towards zero), which validated better on XMarket's thin markets
 * (bench/results/lazy-tables.md); lazy keeps training cost per sample flat as the tables grow
 * (bench/results/scale-trunk.md). Auto: dense up to {@link #LAZY_ABOVE_ROWS} rows per table, lazy
 * above.
 */
public enum TableUpdates {
    AUTO, LAZY, DENSE;

    /**
     * Above this many rows in a table, auto updates lazily: a dense step then costs more than 64
     * batches of 1,024 rows would touch. XMarket's seven markets together (14k users, 8k items) stay
     * below, so their results are the dense ones.
     */
    public static final int LAZY_ABOVE_ROWS = 65_536;

    /** Whether a model of these table sizes is updated lazily. */
    public boolean lazy(int users, int items) {
        return this == LAZY || (this == AUTO && Math.max(users, items) > LAZY_ABOVE_ROWS);
    }

    /** Parses {@code auto}, {@code lazy} or {@code dense}, with an error naming the three. */
    public static TableUpdates parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("table updates must be auto, lazy or dense, got '" + s + "'");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
