package io.xmrec.core.net;

import java.util.Arrays;

/**
 * Gradients of a net's trainable tensors, accumulated over a batch by {@link NetKernel}. Dense
 * tensors are whole arrays; for the user and item tables the rows touched by the batch are
 * recorded, so clearing (and a sparse optimiser step) costs those rows, not the table.
 */
public final class Gradient {

    private final boolean[] trainable;
    private final float[][] values;
    private final boolean[] userTable;
    private final boolean[] itemTable;
    private final int[] cols;
    private int[] userStamp;
    private int[] itemStamp;
    private int[] touchedUsers;
    private int[] touchedItems;
    private int nUsers;
    private int nItems;
    private int stamp = 1;

    /** Gradients for the tensors of {@code net} that {@code trainable} marks (indexed like the net's tensors). */
    public Gradient(Net net, boolean[] trainable) {
        if (trainable.length != net.tensors()) {
            throw new IllegalArgumentException("trainable flags for " + trainable.length + " tensors, the net has " + net.tensors());
        }
        this.trainable = trainable.clone();
        this.values = new float[net.tensors()][];
        this.userTable = new boolean[net.tensors()];
        this.itemTable = new boolean[net.tensors()];
        this.cols = new int[net.tensors()];
        for (int k = 0; k < values.length; k++) {
            String name = net.name(k);
            userTable[k] = NetShape.isUserTable(name);
            itemTable[k] = NetShape.isItemTable(name);
            int[] shape = net.tensorShape(k);
            cols[k] = shape.length > 1 ? shape[1] : 1;
            if (trainable[k]) {
                values[k] = new float[net.values(k).length];
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
            if (values[k] != null && (userTable[k] || itemTable[k])) {
                int rows = userTable[k] ? users : items;
                if (values[k].length != rows * cols[k]) {
                    values[k] = Arrays.copyOf(values[k], rows * cols[k]);
                }
            }
        }
        userStamp = userStamp == null ? new int[users] : Arrays.copyOf(userStamp, users);
        itemStamp = itemStamp == null ? new int[items] : Arrays.copyOf(itemStamp, items);
        touchedUsers = touchedUsers == null ? new int[users] : Arrays.copyOf(touchedUsers, Math.max(users, nUsers));
        touchedItems = touchedItems == null ? new int[items] : Arrays.copyOf(touchedItems, Math.max(items, nItems));
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

    void touchUser(int u) {
        if (userStamp[u] != stamp) {
            userStamp[u] = stamp;
            touchedUsers[nUsers++] = u;
        }
    }

    void touchItem(int i) {
        if (itemStamp[i] != stamp) {
            itemStamp[i] = stamp;
            touchedItems[nItems++] = i;
        }
    }

    int touchedUsers() {
        return nUsers;
    }

    int touchedUser(int k) {
        return touchedUsers[k];
    }

    int touchedItems() {
        return nItems;
    }

    int touchedItem(int k) {
        return touchedItems[k];
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
                int n = userTable[k] ? nUsers : nItems;
                int[] rows = userTable[k] ? touchedUsers : touchedItems;
                for (int r = 0; r < n; r++) {
                    Arrays.fill(v, rows[r] * c, rows[r] * c + c, 0f);
                }
            } else {
                Arrays.fill(v, 0f);
            }
        }
        nUsers = 0;
        nItems = 0;
        stamp++;
    }
}
