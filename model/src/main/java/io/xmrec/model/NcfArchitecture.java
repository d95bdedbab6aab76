package io.xmrec.model;

import io.xmrec.core.net.NetShape;

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

    /** The network shape this architecture has with these hyper-parameters (FOREC: see {@link ForecFork#shape}). */
    public NetShape shape(NcfOptions o) {
        NetShape s = switch (this) {
            case GMF -> NetShape.gmf(o.gmfDim());
            case MLP -> NetShape.mlp(o.mlpDim(), o.mlpLayers());
            case NMF -> NetShape.nmf(o.gmfDim(), o.mlpDim(), o.mlpLayers());
            case FOREC -> throw new IllegalArgumentException("FOREC is forked from an NMF trunk: use ForecFork.shape");
        };
        return s.withItemBias(o.itemBias());
    }

    /** The architecture of a network shape: a head makes it FOREC. */
    public static NcfArchitecture of(NetShape s) {
        if (s.hasHead()) {
            return FOREC;
        }
        if (s.hasGmf() && s.hasMlp()) {
            return NMF;
        }
        return s.hasGmf() ? GMF : MLP;
    }
}
