package io.xmrec.eval;

import io.xmrec.model.NcfArchitecture;

/**
 * The offline methods: the popularity baseline, GMF, MLP, NMF on one market or with sources (++),
 * the FOREC family built on NMF++ (MAML, NMF-FOREC, FOREC), and the DDTCDR baseline.
 */
public enum Method {
    POP("pop", null, false),
    GMF("gmf", NcfArchitecture.GMF, false),
    MLP("mlp", NcfArchitecture.MLP, false),
    NMF("nmf", NcfArchitecture.NMF, false),
    GMF_PP("gmf++", NcfArchitecture.GMF, true),
    MLP_PP("mlp++", NcfArchitecture.MLP, true),
    NMF_PP("nmf++", NcfArchitecture.NMF, true),
    /** NMF++ meta-trained with MAML across target and sources, evaluated as it is. */
    MAML("maml", NcfArchitecture.NMF, true),
    /** NMF++ forked with a market head and fine-tuned on the target (the paper's ablation without MAML). */
    NMF_FOREC("nmf-forec", NcfArchitecture.FOREC, true),
    /** MAML trunk forked with a market head and fine-tuned on the target. */
    FOREC("forec", NcfArchitecture.FOREC, true),
    /**
     * FOREC whose head starts from the head of a fork fine-tuned on the (first) source market,
     * instead of from random weights: how the continual updater starts a market without a head.
     */
    FOREC_SRC_HEAD("forec-src-head", NcfArchitecture.FOREC, true),
    /** DDTCDR adapted to markets: target and source MLPs coupled by an orthogonal map of item embeddings (one source). */
    DDTCDR("ddtcdr", null, true);

    private final String label;
    private final NcfArchitecture architecture;
    private final boolean crossMarket;

    Method(String label, NcfArchitecture architecture, boolean crossMarket) {
        this.label = label;
        this.architecture = architecture;
        this.crossMarket = crossMarket;
    }

    public String label() {
        return label;
    }

    /** The NCF network trained, or null for the popularity baseline and DDTCDR. */
    public NcfArchitecture architecture() {
        return architecture;
    }

    /** Whether it trains on target plus source markets. */
    public boolean crossMarket() {
        return crossMarket;
    }

    public static Method ofLabel(String s) {
        for (Method m : values()) {
            if (m.label.equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + s + "': expected one of pop, gmf, mlp, nmf, gmf++, mlp++, nmf++, maml, nmf-forec, forec, forec-src-head, ddtcdr");
    }
}
