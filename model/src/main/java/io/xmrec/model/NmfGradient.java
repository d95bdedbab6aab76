package io.xmrec.model;

import io.xmrec.core.net.TouchedRows;

/**
 * A gradient over the full parameter vector that holds only its support: the dense part and the
 * embedding rows of the users and items it has seen, each a block in one compact array (a user's
 * GMF row then its MLP row; an item's GMF row, MLP row and bias), so its memory and the cost of
 * clearing, adding and perturbing are those of the support, not of the tables (at 100x XMarket
 * the full vector is 73M parameters, and MAML keeps five gradients).
 */
final class NmfGradient {

    @FunctionalInterface
    interface RangeVisitor {
        /** A run of {@code length} parameters from {@code flat} in the parameter vector, held from {@code at} in the gradient. */
        void visit(int flat, int at, int length);
    }

    private final NmfKernel kernel;
    private final int dense;
    private final int userWidth;
    private final int itemWidth;
    /** The dense part at [0, dense), then the blocks of touched rows in the order they were touched. */
    double[] values;
    private double[] saved = new double[0];
    private int used;
    private final TouchedRows touchedUsers;
    private final TouchedRows touchedItems;
    /** Where a touched user's or item's block starts in {@link #values}. */
    final int[] userBlock;
    final int[] itemBlock;

    NmfGradient(NmfKernel kernel) {
        this.kernel = kernel;
        this.dense = kernel.denseTo() - kernel.denseFrom();
        this.userWidth = kernel.gd + kernel.md;
        this.itemWidth = kernel.gd + kernel.md + (kernel.offIb >= 0 ? 1 : 0);
        this.values = new double[dense + 64 * (userWidth + itemWidth)];
        this.used = dense;
        this.touchedUsers = new TouchedRows(kernel.users, 64);
        this.touchedItems = new TouchedRows(kernel.items, 64);
        this.userBlock = new int[kernel.users];
        this.itemBlock = new int[kernel.items];
    }

    void touch(int u, int i) {
        touchUser(u);
        touchItem(i);
    }

    private void touchUser(int u) {
        if (touchedUsers.add(u)) {
            userBlock[u] = allocate(userWidth);
        }
    }

    private void touchItem(int i) {
        if (touchedItems.add(i)) {
            itemBlock[i] = allocate(itemWidth);
        }
    }

    /** A zeroed block of {@code width} values at the end of the support. */
    private int allocate(int width) {
        if (used + width > values.length) {
            values = java.util.Arrays.copyOf(values, Math.max(2 * values.length, used + width));
        }
        int at = used;
        used += width;
        return at;
    }

    /**
     * Calls {@code f} with every run of the support, in a fixed order (touched users, touched items,
     * the dense layers): its index in the parameter vector, its index in {@link #values}, its length.
     */
    void forEachRange(RangeVisitor f) {
        for (int k = 0; k < touchedUsers.size(); k++) {
            int u = touchedUsers.row(k);
            int b = userBlock[u];
            f.visit(kernel.offGu + u * kernel.gd, b, kernel.gd);
            f.visit(kernel.offMu + u * kernel.md, b + kernel.gd, kernel.md);
        }
        for (int k = 0; k < touchedItems.size(); k++) {
            int i = touchedItems.row(k);
            int b = itemBlock[i];
            f.visit(kernel.offGi + i * kernel.gd, b, kernel.gd);
            f.visit(kernel.offMi + i * kernel.md, b + kernel.gd, kernel.md);
            if (kernel.offIb >= 0) {
                f.visit(kernel.offIb + i, b + kernel.gd + kernel.md, 1);
            }
        }
        f.visit(kernel.denseFrom(), 0, dense);
    }

    /** {@code target += a * this}; the target's support grows by this one's. */
    void addInto(NmfGradient target, double a) {
        for (int k = 0; k < touchedUsers.size(); k++) {
            int u = touchedUsers.row(k);
            target.touchUser(u);
            addBlock(target.values, target.userBlock[u], userBlock[u], userWidth, a);
        }
        for (int k = 0; k < touchedItems.size(); k++) {
            int i = touchedItems.row(k);
            target.touchItem(i);
            addBlock(target.values, target.itemBlock[i], itemBlock[i], itemWidth, a);
        }
        addBlock(target.values, 0, 0, dense, a);
    }

    private void addBlock(double[] target, int to, int from, int width, double a) {
        for (int k = 0; k < width; k++) {
            target[to + k] += a * values[from + k];
        }
    }

    void clear() {
        java.util.Arrays.fill(values, 0, used, 0);
        used = dense;
        touchedUsers.clear();
        touchedItems.clear();
    }

    /** {@code target += a * this}. */
    void addTo(double[] target, double a) {
        forEachRange((flat, at, length) -> {
            for (int k = 0; k < length; k++) {
                target[flat + k] += a * values[at + k];
            }
        });
    }

    /** The gradient as a full parameter vector (zero off the support). */
    double[] toArray() {
        double[] out = new double[kernel.size()];
        addTo(out, 1);
        return out;
    }

    double norm() {
        double[] s = {0};
        forEachRange((flat, at, length) -> {
            for (int k = at; k < at + length; k++) {
                s[0] += values[k] * values[k];
            }
        });
        return Math.sqrt(s[0]);
    }

    /** {@code p += a * this}, remembering the old values for {@link #restore}. */
    void perturb(double[] p, double a) {
        if (saved.length < values.length) {
            saved = new double[values.length];
        }
        forEachRange((flat, at, length) -> {
            System.arraycopy(p, flat, saved, at, length);
            for (int k = 0; k < length; k++) {
                p[flat + k] += a * values[at + k];
            }
        });
    }

    /** Undoes the last {@link #perturb} exactly. */
    void restore(double[] p) {
        forEachRange((flat, at, length) -> System.arraycopy(saved, at, p, flat, length));
    }
}
