package io.xmrec.core.net;

import java.util.Arrays;

/**
 * The distinct rows of a table (users or items) a batch touched, in the order first touched, each with
 * its slot (its place in that order): what a sparse gradient keeps per table so that clearing it, and a
 * lazy optimiser step, cost the rows touched rather than the table. Clearing is a new stamp, not a pass.
 */
public final class TouchedRows {

    private int[] stamp;
    private int[] slot;
    private int[] rows;
    private int count;
    private int current = 1;

    /** For a table of {@code tableRows} rows, with room for {@code capacity} touched rows to start with. */
    public TouchedRows(int tableRows, int capacity) {
        stamp = new int[tableRows];
        slot = new int[tableRows];
        rows = new int[Math.max(1, capacity)];
    }

    /** Records that row {@code r} is touched; true when it was not yet (it then takes the next slot). */
    public boolean add(int r) {
        if (stamp[r] == current) {
            return false;
        }
        if (count == rows.length) {
            rows = Arrays.copyOf(rows, 2 * count);
        }
        stamp[r] = current;
        slot[r] = count;
        rows[count++] = r;
        return true;
    }

    /** The slot of a touched row. */
    public int slot(int r) {
        return slot[r];
    }

    /** Rows touched. */
    public int size() {
        return count;
    }

    /** The {@code k}-th row touched. */
    public int row(int k) {
        return rows[k];
    }

    /** Room for {@code more} touched rows beyond those so far without growing. */
    public void reserve(int more) {
        if (rows.length < count + more) {
            rows = Arrays.copyOf(rows, Math.max(2 * rows.length, count + more));
        }
    }

    /**
     * Reads the first and last value of every touched row of width {@code c} in each table: a loop that
     * does nothing but start those loads lets the processor wait for many rows' cache misses at once
     * (Java has no prefetch instruction). Returns nothing useful; the sum is kept so the reads stay.
     */
    public void prefetch(int c, float[]... tables) {
        float sum = 0;
        for (float[] t : tables) {
            for (int k = 0; k < count; k++) {
                int from = rows[k] * c;
                sum += t[from] + t[from + c - 1];
            }
        }
        keep(sum);
    }

    /** Reads the bookkeeping of rows {@code rows[from .. from + count)} before a batch adds them (see {@link #prefetch}). */
    public void prefetchAdds(int[] rows, int from, int count) {
        int sum = 0;
        for (int k = from; k < from + count; k++) {
            sum += stamp[rows[k]] + slot[rows[k]];
        }
        keep(sum);
    }

    /** Where the read-ahead loops ({@link #prefetch}, {@code TablePair}'s) leave their sums: never read. */
    @SuppressWarnings("unused")
    private static float sink;

    /** Keeps a read-ahead loop's sum, so that the JIT keeps the loads that made it. */
    static void keep(float sum) {
        sink += sum;
    }

    /** How many touched rows there is room for now. */
    public int capacity() {
        return rows.length;
    }

    /** Follows a table that grew (or shrank) to {@code tableRows} rows; the touched rows stay. */
    public void resize(int tableRows) {
        stamp = Arrays.copyOf(stamp, tableRows);
        slot = Arrays.copyOf(slot, tableRows);
    }

    /** Forgets every touched row. */
    public void clear() {
        count = 0;
        current++;
    }
}
