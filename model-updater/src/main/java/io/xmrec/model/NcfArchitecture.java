package io.xmrec.model;

/**
 * The three NCF recommenders of He et al.: GMF, MLP and their fusion NMF (NeuMF); and FOREC, an
 * NMF trunk forked with a market head (built by {@link ForecFork}, not from scratch).
 */
public enum NcfArchitecture {
    GMF,
    MLP,
    NMF,
    FOREC;

    public String label() {
        return name().toLowerCase();
    }

    public static NcfArchitecture ofLabel(String s) {
        for (NcfArchitecture a : values()) {
            if (a.label().equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + s + "': expected gmf, mlp, nmf or forec");
    }
}
