package io.xmrec.model.updater;

import java.util.Map;
import java.util.Set;

/**
 * The updater's counters, for {@code /metrics} and tests.
 *
 * @param freshnessP50 seconds from an interaction's promotion to training (its record's timestamp) to the
 *                     publication of a model that has trained on it: median and 99th percentile of the last
 *                     10,000 (wall clock, whatever the replay speed)
 * @param visibleP50   seconds from an interaction's promotion until this updater read it (the holdout job's
 *                     transaction commits at its checkpoints; then the poll): median and 99th percentile of the
 *                     last 10,000; the rest of the freshness is the updater's own
 * @param trunkInteractions training interactions in the snapshot of the newest trunk this updater trained (equal to
 *                     {@code interactions} once a trunk has been trained on everything read)
 * @param trunkTraining whether the slow path is training now (a trunk, its forks or its references)
 */
public record UpdaterStats(long interactions, long badRecords, long snapshots, long rowDeltas, long headDeltas,
                           long refused, long trunks, double trunkSeconds, long trunkInteractions, boolean trunkTraining, long references, long foldedInUsers,
                           long foldedInItems, long bytesPublished, Map<String, Long> versions, Set<String> owned,
                           boolean trunkOwner, boolean caughtUp, double freshnessP50, double freshnessP99,
                           double visibleP50, double visibleP99,
                           Map<String, Integer> usersWithoutRows) {

    /** The counters in Prometheus text format. */
    public String prometheus() {
        StringBuilder b = new StringBuilder();
        metric(b, "xmrec_updater_interactions_total", "counter", "Training interactions read.", interactions);
        metric(b, "xmrec_updater_bad_records_total", "counter",
                "Input records that could not be decoded or used: skipped, logged with their offset.", badRecords);
        metric(b, "xmrec_updater_snapshots_total", "counter", "Full model snapshots published.", snapshots);
        metric(b, "xmrec_updater_row_deltas_total", "counter", "Fast-path deltas (re-fitted or folded-in rows) published.",
                rowDeltas);
        metric(b, "xmrec_updater_head_deltas_total", "counter", "Medium-path deltas (fine-tuned heads) published.", headDeltas);
        metric(b, "xmrec_updater_refused_total", "counter", "Head updates refused by the rollback guard.", refused);
        metric(b, "xmrec_updater_trunks_total", "counter", "Trunks trained by this updater.", trunks);
        metric(b, "xmrec_updater_trunk_interactions", "gauge",
                "Training interactions in the snapshot of the newest trunk trained here.", trunkInteractions);
        metric(b, "xmrec_updater_trunk_training", "gauge",
                "1 while the slow path trains (a trunk, its forks or its references).", trunkTraining ? 1 : 0);
        metric(b, "xmrec_updater_trunk_seconds_total", "counter", "Seconds spent training trunks.", trunkSeconds);
        metric(b, "xmrec_updater_references_total", "counter", "Reference NMF models published.", references);
        metric(b, "xmrec_updater_folded_in_users_total", "counter", "Users folded in by the fast path.", foldedInUsers);
        metric(b, "xmrec_updater_folded_in_items_total", "counter", "Items folded in by the fast path.", foldedInItems);
        metric(b, "xmrec_updater_published_bytes_total", "counter", "Bytes of snapshots and deltas published.",
                bytesPublished);
        metric(b, "xmrec_updater_owned_markets", "gauge", "Markets this updater updates.", owned.size());
        metric(b, "xmrec_updater_trunk_owner", "gauge", "1 when this updater trains the trunk.", trunkOwner ? 1 : 0);
        metric(b, "xmrec_updater_caught_up", "gauge", "1 when the input has been read to its end.", caughtUp ? 1 : 0);
        metric(b, "xmrec_updater_freshness_p50_seconds", "gauge",
                "Median seconds from an interaction's promotion to training to a published model trained on it.",
                freshnessP50);
        metric(b, "xmrec_updater_freshness_p99_seconds", "gauge", "99th percentile of the same.", freshnessP99);
        metric(b, "xmrec_updater_visible_p50_seconds", "gauge",
                "Median seconds from an interaction's promotion until the updater read it (the holdout job's commit).",
                visibleP50);
        metric(b, "xmrec_updater_visible_p99_seconds", "gauge", "99th percentile of the same.", visibleP99);
        b.append("# HELP xmrec_updater_owns 1 for each market this updater updates.\n# TYPE xmrec_updater_owns gauge\n");
        owned.forEach(m -> b.append("xmrec_updater_owns{market=\"").append(m).append("\"} 1\n"));
        b.append("# HELP xmrec_updater_model_version Newest published model version per owned market.\n")
                .append("# TYPE xmrec_updater_model_version gauge\n");
        versions.forEach((m, v) -> b.append("xmrec_updater_model_version{market=\"").append(m).append("\"} ").append(v)
                .append('\n'));
        b.append("# HELP xmrec_updater_users_without_rows Users with training interactions the market's model has no "
                + "rows for yet.\n# TYPE xmrec_updater_users_without_rows gauge\n");
        usersWithoutRows.forEach((m, v) -> b.append("xmrec_updater_users_without_rows{market=\"").append(m).append("\"} ")
                .append(v).append('\n'));
        return b.toString();
    }

    private static void metric(StringBuilder b, String name, String type, String help, double value) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(' ')
                .append(type).append('\n').append(name).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(value);
        }
        b.append('\n');
    }
}
