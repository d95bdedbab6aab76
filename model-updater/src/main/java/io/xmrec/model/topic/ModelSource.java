package io.xmrec.model.topic;

import io.xmrec.core.serving.ServedModel;

import java.util.Map;

/** Where the newest model of each market comes from: the topic client, or a Kafka Streams state store. */
public interface ModelSource {

    /** The newest model of a market; {@link ModelClient.NotFound} when there is none. */
    ServedModel model(String market);

    /** Markets with a model, and their versions. */
    Map<String, Long> versions();
}
