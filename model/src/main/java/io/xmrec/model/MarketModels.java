package io.xmrec.model;

import io.xmrec.core.dataset.CrossMarketDataset;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetShape;
import io.xmrec.model.recipe.Recipe;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Between a trained model and what a market serves: a market's model holds only that market's
 * users (users are market-specific, items shared), under their plain ids; a trained model keys
 * users by {@code market/user}. The conversion copies the tensors, so the served model never
 * changes when training goes on.
 */
public final class MarketModels {

    private MarketModels() {
    }

    /**
     * The market's slice of a trained model, as served (a copy). A market-aware model's market
     * vectors are folded into the item tables (item vector times the market's, what the network
     * computes for this market's users), so the served network is a plain one.
     */
    public static ServedModel served(String market, NcfModel model, ModelMeta meta, int[] catalogue, int[] popularity) {
        String prefix = CrossMarketDataset.userKey(market, "");
        List<String> users = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < model.users().size(); r++) {
            String key = model.users().id(r);
            if (key.startsWith(prefix)) {
                users.add(key.substring(prefix.length()));
                rows.add(r);
            } else if (!key.contains("/")) {
                users.add(key); // a model whose users carry no market prefix
                rows.add(r);
            }
        }
        Net net = model.net();
        NetShape s = net.shape();
        int marketRow = model.markets().indexOf(market);
        if (s.marketAware() && marketRow < 0) {
            throw new IllegalArgumentException("the market-aware model of " + model.markets() + " has no vector for " + market);
        }
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : net.asMap().entrySet()) {
            if (NetShape.isMarketTable(e.getKey())) {
                continue;
            }
            if (s.marketAware() && (e.getKey().equals(NetShape.GMF_ITEM) || e.getKey().equals(NetShape.MLP_ITEM))) {
                boolean gmf = e.getKey().equals(NetShape.GMF_ITEM);
                t.put(e.getKey(), folded(e.getValue(), net.get(gmf ? NetShape.GMF_MARKET : NetShape.MLP_MARKET), marketRow,
                        gmf ? s.gmfDim() : s.mlpDim()));
            } else if (NetShape.isUserTable(e.getKey())) {
                int dim = e.getKey().equals(NetShape.GMF_USER) ? s.gmfDim() : s.mlpDim();
                float[] cut = new float[rows.size() * dim];
                for (int k = 0; k < rows.size(); k++) {
                    System.arraycopy(e.getValue(), rows.get(k) * dim, cut, k * dim, dim);
                }
                t.put(e.getKey(), cut);
            } else {
                t.put(e.getKey(), e.getValue().clone());
            }
        }
        return new ServedModel(meta, Net.of(s.withMarkets(0), users.size(), net.items(), t), IdVocabulary.ofRows(users),
                model.items(), catalogue, popularity);
    }

    /** Every item row multiplied element-wise by one market's vector. */
    private static float[] folded(float[] items, float[] vectors, int market, int dim) {
        float[] out = items.clone();
        for (int r = 0; r < out.length; r += dim) {
            for (int q = 0; q < dim; q++) {
                out[r + q] *= vectors[market * dim + q];
            }
        }
        return out;
    }


    /**
     * A served model as a trainable one of a recipe (taking a market over from what was published):
     * users keyed {@code market/user}, the recipe's market-owned tensors trainable with the settings'
     * learning rate and L2 for them.
     */
    public static NcfModel trainable(ServedModel m, Recipe recipe, io.xmrec.model.recipe.TrainingSettings settings) {
        List<String> users = new ArrayList<>();
        for (String u : m.users().ids()) {
            users.add(CrossMarketDataset.userKey(m.market(), u));
        }
        NetShape s = m.net().shape();
        NcfArchitecture a = NcfArchitecture.of(s);
        NcfOptions base = settings.ncf();
        NcfOptions o = base.toBuilder().gmfDim(s.hasGmf() ? s.gmfDim() : base.gmfDim())
                .mlpDim(s.hasMlp() ? s.mlpDim() : base.mlpDim()).mlpLayers(s.hasMlp() ? s.mlpLayers() : base.mlpLayers())
                .itemBias(s.itemBias()).build();
        boolean fork = a == NcfArchitecture.FOREC;
        return new NcfModel(a, m.net().copy(), IdVocabulary.ofRows(users), m.items(), o, List.of(m.market()),
                new NcfModel.Training(new LinkedHashSet<>(recipe.marketTensors(s)),
                        fork ? settings.forec().learningRate() : o.learningRateFor(a), fork ? settings.forec().l2() : o.l2()));
    }
}
