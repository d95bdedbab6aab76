package io.xmrec.model.topic;

import io.xmrec.core.serving.ServedModel;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Where the newest model of each market comes from: the topic client, or a Kafka Streams state store. */
public interface ModelSource {

    /** The newest model of a market; {@link ModelClient.NotFound} when there is none. */
    ServedModel model(String market);

    /** Markets with a model, and their versions. */
    Map<String, Long> versions();

    /** The market's model, checked to know the user; {@link ModelClient.NotFound} names what is missing. */
    default ServedModel modelFor(String market, String user) {
        ServedModel m = model(market);
        if (m.users().indexOf(user) < 0) {
            throw new ModelClient.NotFound("user " + user + " is not in the " + market + " model v" + m.version());
        }
        return m;
    }

    /** The k best items of the market's newest model for a user. */
    default List<ServedModel.Scored> recommend(String market, String user, int k) {
        return modelFor(market, user).recommend(user, k, Set.of());
    }

    /** Scores of items for a user under the market's newest model. */
    default float[] score(String market, String user, Collection<String> items) {
        return modelFor(market, user).score(user, items);
    }
}
