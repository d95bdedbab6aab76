package io.xmrec.core.holdout;

/** The two held-out splits of the leave-one-out protocol. */
public enum Split {
    VALIDATION("valid"),
    TEST("test");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    /** The short name used in files, JSON and tables. */
    public String label() {
        return label;
    }

    public static Split ofLabel(String s) {
        for (Split x : values()) {
            if (x.label.equals(s)) {
                return x;
            }
        }
        throw new IllegalArgumentException("unknown split '" + s + "': expected valid or test");
    }
}
