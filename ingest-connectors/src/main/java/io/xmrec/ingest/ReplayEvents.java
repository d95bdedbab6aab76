package io.xmrec.ingest;

import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.schemas.ReviewEvent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The review events of several markets' files in one event-time order: by day, then market (in
 * the order given), then line. A market's events for one day keep their file order, so a user's
 * same-day events arrive in the order the offline protocol uses to break ties.
 *
 * <p>The event id is the source position, {@code <market>:<file>:<line>}: the files repeat
 * (user, item) pairs, even on one day, and the protocol keeps them as separate interactions, so
 * only a re-delivered line is a duplicate.
 */
public final class ReplayEvents {

    /** One event and where it came from. */
    public record Sourced(String market, Interaction interaction, ReviewEvent event) {
    }

    private ReplayEvents() {
    }

    public static final long MILLIS_PER_DAY = 86_400_000L;

    public static String eventId(String market, String fileName, long line) {
        return market + ":" + fileName + ":" + line;
    }

    /** The review event of one interaction of a market's file. */
    public static ReviewEvent toEvent(String market, String fileName, Interaction i) {
        return ReviewEvent.newBuilder()
                .setMarket(market)
                .setUser(i.user())
                .setItem(i.item())
                .setRating(i.rating())
                .setEventTime(Instant.ofEpochMilli(i.epochDay() * MILLIS_PER_DAY))
                .setEventId(eventId(market, fileName, i.seq()))
                .setSource(fileName + ":" + i.seq())
                .build();
    }

    /** All events of the markets, merged in event-time order. */
    public static List<Sourced> merge(List<MarketData> markets) {
        List<Sourced> all = new ArrayList<>();
        for (MarketData m : markets) {
            String file = m.source() == null ? m.market() : m.source().getFileName().toString();
            for (Interaction i : m.interactions()) {
                all.add(new Sourced(m.market(), i, toEvent(m.market(), file, i)));
            }
        }
        List<String> order = markets.stream().map(MarketData::market).toList();
        all.sort(Comparator.<Sourced>comparingLong(s -> s.interaction().epochDay())
                .thenComparingInt(s -> order.indexOf(s.market()))
                .thenComparingLong(s -> s.interaction().seq()));
        return all;
    }
}
