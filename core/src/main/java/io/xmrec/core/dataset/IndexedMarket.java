package io.xmrec.core.dataset;


/**
 * One market of a {@link CrossMarketDataset} in vocabulary indices, ready for training and
 * evaluation. Users are rows {@code 0..users()-1} of this market; {@link #userIndex} maps them to
 * the dataset's global user vocabulary.
 */
public final class IndexedMarket {

    private final String market;
    private final String[] userIds;
    private final int[] userIndex;
    private final int[][] trainItems;
    private final int[] validationItem;
    private final int[] testItem;
    private final int[][] trainedItems;
    private final int[][] ratedItems;
    private final int[] itemPool;
    private final int trainInteractions;

    IndexedMarket(String market, String[] userIds, int[] userIndex, int[][] trainItems, int[] validationItem,
                  int[] testItem, int[][] ratedItems, int[] itemPool) {
        this.market = market;
        this.userIds = userIds;
        this.userIndex = userIndex;
        this.trainItems = trainItems;
        this.validationItem = validationItem;
        this.testItem = testItem;
        this.ratedItems = ratedItems;
        this.itemPool = itemPool;
        this.trainedItems = new int[trainItems.length][];
        int n = 0;
        for (int r = 0; r < trainItems.length; r++) {
            n += trainItems[r].length;
            trainedItems[r] = CrossMarketDataset.sortedDistinct(trainItems[r]);
        }
        this.trainInteractions = n;
    }

    public String market() {
        return market;
    }

    /** Number of (evaluated) users of this market. */
    public int users() {
        return userIds.length;
    }

    public String userId(int row) {
        return userIds[row];
    }

    /** The global user index (model input) of a market row. */
    public int userIndex(int row) {
        return userIndex[row];
    }

    /** Training items of a user, in promotion order; may repeat an item the user rated twice. */
    public int[] trainItems(int row) {
        return trainItems[row];
    }

    public int validationItem(int row) {
        return validationItem[row];
    }

    public int testItem(int row) {
        return testItem[row];
    }

    /**
     * The items the user has in training, sorted and distinct: all a trainer may know about the
     * user, so the only items never drawn as a training negative.
     */
    public int[] trainedItems(int row) {
        return trainedItems[row];
    }

    /**
     * Every item the user rated (train, validation, test), sorted and distinct: never an
     * evaluation negative. Trainers must not use it (it would tell them the held-out items).
     */
    public int[] ratedItems(int row) {
        return ratedItems[row];
    }

    /** The market's items (all items that occur in its file), sorted global item indices. */
    public int[] itemPool() {
        return itemPool;
    }

    public int trainInteractions() {
        return trainInteractions;
    }

    /** The same users with another item pool (negatives come from the pool: a subset of users still samples from the whole market). */
    public IndexedMarket withItemPool(int[] pool) {
        return new IndexedMarket(market, userIds, userIndex, trainItems, validationItem, testItem, ratedItems, pool.clone());
    }

    /** Some of the users (rows of this market, in the order given) with the same item pool. */
    public IndexedMarket rows(int[] rows) {
        String[] ids = new String[rows.length];
        int[] idx = new int[rows.length];
        int[][] train = new int[rows.length][];
        int[] valid = new int[rows.length];
        int[] test = new int[rows.length];
        int[][] rated = new int[rows.length][];
        for (int k = 0; k < rows.length; k++) {
            int r = rows[k];
            ids[k] = userIds[r];
            idx[k] = userIndex[r];
            train[k] = trainItems[r];
            valid[k] = validationItem[r];
            test[k] = testItem[r];
            rated[k] = ratedItems[r];
        }
        return new IndexedMarket(market, ids, idx, train, valid, test, rated, itemPool);
    }
}
