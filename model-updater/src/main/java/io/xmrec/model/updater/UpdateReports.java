package io.xmrec.model.updater;

import io.xmrec.schemas.UpdateEvent;

import java.time.Instant;
import java.util.function.Consumer;

/** What the updater did, as events on {@code xmrec.updates}: the dashboard's update log. */
final class UpdateReports {
    private final Publisher publisher;
    private final Consumer<String> log;

    UpdateReports(Publisher publisher, Consumer<String> log) {
        this.publisher = publisher;
        this.log = log;
    }

    /** Sends an event (see {@link #event}); a report that cannot be sent is logged, not thrown: the model went out. */
    void send(UpdateEvent.Builder event) {
        try {
            publisher.report(event.setTime(Instant.now()).build());
        } catch (RuntimeException e) {
            log.accept("updater: report of " + event.getMarket() + " not sent: " + e.getMessage());
        }
    }

    /**
     * An event with the fields every report has: a publication of {@code kind} (snapshot, rows, head, refused,
     * first, trunk) of a market ({@code *}: all), to be completed with the rest (interactions, new users,
     * validation figures) where they apply.
     */
    static UpdateEvent.Builder event(String market, String kind, long version, long trunk, double seconds) {
        return UpdateEvent.newBuilder().setMarket(market).setKind(kind).setVersion(version).setTrunkVersion(trunk)
                .setInteractions(0).setNewUsers(0).setSeconds(seconds);
    }
}
