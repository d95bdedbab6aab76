package io.xmrec.model.updater;

import io.xmrec.serving.MetricsText;

import java.util.Map;
import java.util.Set;

/**
 * The updater's counters, for {@code /metrics} and tests: what it read, what it published, its trunks,
 * the markets it owns and where its jobs' time goes.
 */
public record UpdaterStats(Input input, Published published, Trunk trunk, Markets markets, Jobs jobs) {

    /**
     * What was read.
     *
     * @param visibleP50 seconds from an interaction's promotion until this updater read it (the holdout job's
     *                   transaction commits at its checkpoints; then the poll): median and 99th percentile of the
     *                   last 10,000; the rest of the freshness is the updater's own
     * @param held       per market whose input this updater keeps (its own, or all when it trains the trunk), the
     *                   training interactions kept
     */
    public record Input(long interactions, long badRecords, boolean caughtUp, double visibleP50, double visibleP99,
                        Map<String, Long> held) {
    }

    /** What was published: snapshots and deltas (fast path rows, medium path heads), refusals, references, bytes. */
    public record Published(long snapshots, long rowDeltas, long headDeltas, long refused, long references,
                            long foldedInUsers, long foldedInItems, long bytes) {
    }

    /**
     * The slow path.
     *
     * @param training     whether the slow path is training now (a trunk, its forks or its references)
     * @param interactions training interactions in the snapshot of the newest trunk this updater trained (equal to
     *                     the interactions read once a trunk has been trained on everything read)
     */
    public record Trunk(boolean owner, boolean training, long trunks, double seconds, long interactions) {
    }

    /**
     * The markets this updater owns.
     *
     * @param freshnessP50     seconds from an interaction's promotion to training (its record's timestamp) to the
     *                         publication of a model that has trained on it: median and 99th percentile of the last
     *                         10,000 (wall clock, whatever the replay speed)
     * @param usersWithoutRows per owned market, users with training interactions its model has no rows for yet
     * @param decidedTrunks    per owned market, the newest trunk its model was decided on: the trunk it is served
     *                         from, or a newer one whose fork the install guard kept out (the market keeps the model
     *                         it has); a market is settled on the newest trunk when this equals the trunks trained
     */
    public record Markets(Set<String> owned, Map<String, Long> versions, double freshnessP50, double freshnessP99,
                          Map<String, Integer> usersWithoutRows, Map<String, Long> decidedTrunks) {
    }

    /**
     * Where the time of the markets' jobs goes (they share the workers, one job per market at a time), median and 99th
     * percentile in seconds of the last 10,000 of each: what an interaction's freshness is made of after it is read,
     * besides the fast path's coalescing delay.
     *
     * @param queuedP50  from a job's start being due (the poll thread hands it to the workers) to a worker starting it
     * @param fastP50    a fast-path job: its users' rows re-fitted, new users and items folded in, its delta published
     * @param installP50 an install: a prepared model (a trunk's fork, a first or retrained own model) made the market's
     *                   model and its snapshot published, while the market's fast path waits
     */
    public record Jobs(double queuedP50, double queuedP99, double fastP50, double fastP99, double installP50,
                       double installP99) {
    }

    /** The counters in Prometheus text format. */
    public String prometheus() {
        return new MetricsText()
                .counter("xmrec_updater_interactions_total", "Training interactions read.", input.interactions())
                .counter("xmrec_updater_bad_records_total",
                        "Input records that could not be decoded or used: skipped, logged with their offset.", input.badRecords())
                .counter("xmrec_updater_snapshots_total", "Full model snapshots published.", published.snapshots())
                .counter("xmrec_updater_row_deltas_total", "Fast-path deltas (re-fitted or folded-in rows) published.",
                        published.rowDeltas())
                .counter("xmrec_updater_head_deltas_total", "Medium-path deltas (fine-tuned heads) published.", published.headDeltas())
                .counter("xmrec_updater_refused_total", "Models kept out by a guard: heads refused by the rollback guard, retrained own models and trunks' forks that validated below the model served.", published.refused())
                .counter("xmrec_updater_trunks_total", "Trunks trained by this updater.", trunk.trunks())
                .gauge("xmrec_updater_trunk_interactions",
                        "Training interactions in the snapshot of the newest trunk trained here.", trunk.interactions())
                .gauge("xmrec_updater_trunk_training",
                        "1 while the slow path trains (a trunk, its forks or its references).", trunk.training() ? 1 : 0)
                .counter("xmrec_updater_trunk_seconds_total", "Seconds spent training trunks.", trunk.seconds())
                .counter("xmrec_updater_references_total", "Reference NMF models published.", published.references())
                .counter("xmrec_updater_folded_in_users_total", "Users folded in by the fast path.", published.foldedInUsers())
                .counter("xmrec_updater_folded_in_items_total", "Items folded in by the fast path.", published.foldedInItems())
                .counter("xmrec_updater_published_bytes_total", "Bytes of snapshots and deltas published.", published.bytes())
                .gauge("xmrec_updater_owned_markets", "Markets this updater updates.", markets.owned().size())
                .gauge("xmrec_updater_trunk_owner", "1 when this updater trains the trunk.", trunk.owner() ? 1 : 0)
                .gauge("xmrec_updater_caught_up", "1 when the input has been read to its end.", input.caughtUp() ? 1 : 0)
                .gauge("xmrec_updater_freshness_p50_seconds",
                        "Median seconds from an interaction's promotion to training to a published model trained on it.",
                        markets.freshnessP50())
                .gauge("xmrec_updater_freshness_p99_seconds", "99th percentile of the same.", markets.freshnessP99())
                .gauge("xmrec_updater_visible_p50_seconds",
                        "Median seconds from an interaction's promotion until the updater read it (the holdout job's commit).",
                        input.visibleP50())
                .gauge("xmrec_updater_visible_p99_seconds", "99th percentile of the same.", input.visibleP99())
                .gauge("xmrec_updater_job_queued_p50_seconds",
                        "Median seconds from a market's job being due to a worker starting it.", jobs.queuedP50())
                .gauge("xmrec_updater_job_queued_p99_seconds", "99th percentile of the same.", jobs.queuedP99())
                .gauge("xmrec_updater_fast_job_p50_seconds",
                        "Median seconds of a fast-path job (rows re-fitted and folded in, the delta published).", jobs.fastP50())
                .gauge("xmrec_updater_fast_job_p99_seconds", "99th percentile of the same.", jobs.fastP99())
                .gauge("xmrec_updater_install_p50_seconds",
                        "Median seconds of an install (a new model's snapshot published), which holds the market's fast path.",
                        jobs.installP50())
                .gauge("xmrec_updater_install_p99_seconds", "99th percentile of the same.", jobs.installP99())
                .gauge("xmrec_updater_held_interactions", "Training interactions kept in memory per market whose input "
                        + "this updater keeps (its own markets, or all when it trains the trunk).", "market", input.held())
                .gauge("xmrec_updater_owns", "1 for each market this updater updates.",
                        MetricsText.points("market", ones(markets.owned())))
                .gauge("xmrec_updater_model_version", "Newest published model version per owned market.", "market", markets.versions())
                .gauge("xmrec_updater_users_without_rows",
                        "Users with training interactions the market's model has no rows for yet.", "market", markets.usersWithoutRows())
                .gauge("xmrec_updater_decided_trunk", "Newest trunk each owned market's model was decided on: the trunk "
                        + "it is served from, or a newer one whose fork the install guard kept out.", "market", markets.decidedTrunks())
                .text();
    }

    /** 1 for each of the markets, in order. */
    private static Map<String, Integer> ones(Set<String> markets) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        markets.forEach(m -> out.put(m, 1));
        return out;
    }
}
