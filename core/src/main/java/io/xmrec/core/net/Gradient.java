package io.xmrec.core.net;

import java.util.Arrays;

/**
 * Gradients of a net's trainable tensors, accumulated over a batch by {@link NetKernel}. Dense
 * tensors are whole arrays; for the user and item tables the rows touched by the batch are
 * recorded, so clearing (and a sparse optimiser step) costs those rows, not the table. Compact
 * tables (for lazy updates of large tables) hold only the touched rows, in the order they were
 * touched: the gradient of a batch stays in cache, however large the tables, and takes no memory
 * of their size. Row {@code r} of a table's gradient is at {@link #userRow}/{@link #itemRow} times
 * its width (the row itself when not compact).
 */
public final class Gradient {

    private final boolean[] trainable;
    private final float[][] values;
    private final boolean[] userTable;
    private final boolean[] itemTable;
    private final int[] cols;
    private final boolean compact;
    /** The users and items the batch touched; in compact tables a row's slot is its place in the gradient. */
    private TouchedRows users;
    private TouchedRows items;

    /** Gradients for the tensors of {@code net} that {@code trainable} marks (indexed like the net's tensors). */
    public Gradient(Net net, boolean[] trainable) {
        this(net, trainable, false);
    }

    /**
     * Gradients for the tensors of {@code net} that {@code trainable} marks; with {@code compactTables}
     * the tables' gradients hold only the rows a batch touched (for a lazy optimiser, see {@link Adam}).
     */
    public Gradient(Net net, boolean[] trainable, boolean compactTables) {
        if (trainable.length != net.tensors()) {
            throw new IllegalArgumentException("trainable flags for " + trainable.length + " tensors, the net has " + net.tensors());
        }
        this.trainable = trainable.clone();
        this.values = new float[net.tensors()][];
        this.userTable = new boolean[net.tensors()];
        this.itemTable = new boolean[net.tensors()];
        this.cols = new int[net.tensors()];
        this.compact = compactTables;
        for (int k = 0; k < values.length; k++) {
            String name = net.name(k);
            userTable[k] = NetShape.isUserTable(name);
            itemTable[k] = NetShape.isItemTable(name);
            int[] shape = net.tensorShape(k);
            cols[k] = shape.length > 1 ? shape[1] : 1;
            if (trainable[k]) {
                boolean table = userTable[k] || itemTable[k];
                values[k] = new float[table && compact ? 64 * cols[k] : net.values(k).length];
            }
        }
        resize(net.users(), net.items());
    }

    /** Every tensor trainable. */
    public static boolean[] all(Net net) {
        boolean[] t = new boolean[net.tensors()];
        Arrays.fill(t, true);
        return t;
    }

    /** Only the named tensors trainable. */
    public static boolean[] only(Net net, java.util.Collection<String> names) {
        boolean[] t = new boolean[net.tensors()];
        for (String n : names) {
            int k = net.index(n);
            if (k < 0) {
                throw new IllegalArgumentException("the network has no tensor " + n);
            }
            t[k] = true;
        }
        return t;
    }

    /** Follows a net whose tables grew (or shrank) to these row counts; gradients of kept rows stay. */
    public void resize(int users, int items) {
        for (int k = 0; k < values.length; k++) {
            if (!compact && values[k] != null && (userTable[k] || itemTable[k])) {
                int rows = userTable[k] ? users : items;
                if (values[k].length != rows * cols[k]) {
                    values[k] = Arrays.copyOf(values[k], rows * cols[k]);
                }
            }
        }
        if (this.users == null) {
            this.users = new TouchedRows(users, 64);
            this.items = new TouchedRows(items, 64);
        } else {
            this.users.resize(users);
            this.items.resize(items);
        }
    }

    /** Whether the tables' gradients hold only the touched rows (see {@link #userRow}). */
    public boolean compact() {
        return compact;
    }

    public boolean[] trainable() {
        return trainable;
    }

    /** Gradient of tensor {@code k}; null when it is not trainable. */
    public float[] values(int k) {
        return values[k];
    }

    boolean isUserTable(int k) {
        return userTable[k];
    }

    boolean isItemTable(int k) {
        return itemTable[k];
    }

    int cols(int k) {
        return cols[k];
    }

    /** Records that the batch touches user {@code u}; returns its row in the user tables' gradients. */
    int touchUser(int u) {
        users.add(u);
        return userRow(u);
    }

    /** Records that the batch touches item {@code i}; returns its row in the item tables' gradients. */
    int touchItem(int i) {
        items.add(i);
        return itemRow(i);
    }

    /**
     * Room for {@code rows} more touched users and items (a batch's size) before a batch's backward
     * pass, so compact tables never grow under the arrays the kernel holds.
     */
    void reserve(int rows) {
        if (!compact) {
            return;
        }
        users.reserve(rows);
        items.reserve(rows);
        for (int k = 0; k < values.length; k++) {
            if (values[k] != null && (userTable[k] || itemTable[k])) {
                int need = (userTable[k] ? users : items).capacity() * cols[k];
                if (values[k].length < need) {
                    values[k] = Arrays.copyOf(values[k], need);
                }
            }
        }
    }

    /** Reads the bookkeeping of a batch's users and items before its backward pass touches them (large tables). */
    void prefetch(int[] us, int[] is, int from, int count) {
        if (compact) {
            users.prefetchAdds(us, from, count);
            items.prefetchAdds(is, from, count);
        }
    }

    /** The row of touched user {@code u} in the user tables' gradients. */
    int userRow(int u) {
        return compact ? users.slot(u) : u;
    }

    /** The row of touched item {@code i} in the item tables' gradients. */
    int itemRow(int i) {
        return compact ? items.slot(i) : i;
    }

    /** The users ({@code user}) or items the batch touched. */
    TouchedRows touched(boolean user) {
        return user ? users : items;
    }

    int touchedUsers() {
        return users.size();
    }

    /** Zeroes the gradient (dense tensors whole, tables on their touched rows). */
    public void clear() {
        for (int k = 0; k < values.length; k++) {
            float[] v = values[k];
            if (v == null) {
                continue;
            }
            if (userTable[k] || itemTable[k]) {
                int c = cols[k];
                TouchedRows rows = userTable[k] ? users : items;
                if (compact) {
                    Arrays.fill(v, 0, rows.size() * c, 0f);
                } else {
                    for (int r = 0; r < rows.size(); r++) {
                        Arrays.fill(v, rows.row(r) * c, rows.row(r) * c + c, 0f);
                    }
                }
            } else {
                Arrays.fill(v, 0f);
            }
        }
        users.clear();
        items.clear();
    }
}
