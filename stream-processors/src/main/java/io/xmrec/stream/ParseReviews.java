package io.xmrec.stream;

import io.xmrec.schemas.ReviewEvent;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.SerdeException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Decodes and validates raw review records; anything that fails goes to the dead-letter output with the reason. */
public class ParseReviews extends ProcessFunction<RawRecord, Review> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected") { };

    private final String registryUrl;
    /** Captured where the job is defined: a TaskManager's JVM may not have the topic prefix set. */
    private final String reviewsPrefix = io.xmrec.schemas.Topics.REVIEWS_PREFIX;
    private transient AvroSerde serde;

    public ParseReviews(String registryUrl) {
        this.registryUrl = registryUrl;
    }

    @Override
    public void open(OpenContext ctx) {
        serde = new AvroSerde(new RegistryClient(registryUrl));
    }

    @Override
    public void processElement(RawRecord r, Context ctx, Collector<Review> out) {
        ReviewEvent e;
        try {
            e = serde.deserialize(r.value, ReviewEvent.class);
        } catch (SerdeException ex) {
            if (ex.kind().equals("registry")) {
                throw ex; // the registry is down: fail and retry from the checkpoint rather than dead-letter good data
            }
            ctx.output(REJECTED, Rejected.of(r, ex.kind(), ex.getMessage(), "holdouts/parse"));
            return;
        }
        String problem = ReviewValidation.problem(e, r.topic, reviewsPrefix, System.currentTimeMillis());
        if (problem != null) {
            ctx.output(REJECTED, Rejected.of(r, "invalid-field", problem, "holdouts/validate"));
            return;
        }
        Review v = new Review();
        v.market = e.getMarket();
        v.user = e.getUser();
        v.item = e.getItem();
        v.rating = e.getRating();
        v.eventTime = e.getEventTime().toEpochMilli();
        v.eventId = e.getEventId();
        v.raw = r;
        out.collect(v);
    }
}
