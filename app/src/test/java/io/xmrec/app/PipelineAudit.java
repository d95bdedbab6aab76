package io.xmrec.app;

import io.xmrec.app.embedded.EmbeddedHoldouts;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.holdout.LeaveOneOutSplitter;
import io.xmrec.core.holdout.MarketSplit;
import io.xmrec.core.holdout.UserSplit;
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.ModelDelta;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartitionInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a run of the pipeline must end with, read back from the topics: every review on the review
 * topics is in training, held out or a dead letter (input = train + held out + dead letters, and the
 * input is every line of the files, plus records the replay sent again, which the holdout job drops as duplicates); no training interaction twice; each user's final holdouts and
 * training equal the offline leave-one-out split of the files; each market's model versions strictly
 * increasing on the snapshot topic and on the delta topic, with no version published twice. For the
 * fault bench ({@link FaultBench}) and {@link BrokerFailureIT}.
 */
final class PipelineAudit {

    private PipelineAudit() {
    }

    /**
     * {@code redelivered}: the dead letters of the holdout job's de-duplication, records on a review topic a second
     * time with one event id (a replay sends again what a failed producer had not had acknowledged, and some of it
     * had been written): every event of the files is on the topics once beyond them.
     */
    record Result(long events, long input, long redelivered, long train, long heldOut, long dead, long duplicateTrain,
                  int users, int splitMismatches, int versionProblems, String versions, String firstProblems) {
        boolean ok() {
            return events == input - redelivered && input == train + heldOut + dead && duplicateTrain == 0
                    && splitMismatches == 0 && versionProblems == 0;
        }
    }

    /**
     * Audits what the pipeline wrote against {@code files}, the markets replayed ({@code events} reviews in
     * all); waits up to 3 minutes for the holdout job's last transactions, whose {@code checkpoints} interval
     * sets how long it waits between its reads.
     */
    static Result audit(String bootstrap, String registry, Map<String, MarketData> files, long events, Duration checkpoints)
            throws Exception {
        long input = 0;
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
            for (String m : files.keySet()) {
                for (TopicPartitionInfo p : a.describeTopics(List.of(Topics.reviews(m))).allTopicNames().get()
                        .get(Topics.reviews(m)).partitions()) {
                    tps.add(new org.apache.kafka.common.TopicPartition(Topics.reviews(m), p.partition()));
                }
            }
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            tps.forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
            for (var e : a.listOffsets(latest).all().get().values()) {
                input += e.offset();
            }
        }
        // the holdout job commits at its checkpoints: read until every input record is accounted for and a read a
        // checkpoint interval and a second later (past the next checkpoint) finds the same holdouts (at most 3 min).
        // The topics are read one after the other, so a commit between the holdouts and the training reads can make
        // the counts add up with a user's holdouts of the transaction before (the soak's first audit saw that for 2
        // users whose last review came last)
        EmbeddedHoldouts.Result r = null;
        EmbeddedHoldouts.Result previous = null;
        long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < until) {
            r = EmbeddedHoldouts.read(bootstrap, registry, Map.of(), 0);
            boolean complete = r.train().size() + r.heldOut() + r.deadLetters().size() >= input;
            if (complete && previous != null && previous.holdouts().equals(r.holdouts())
                    && previous.train().size() == r.train().size()) {
                break;
            }
            previous = complete ? r : null;
            Thread.sleep(checkpoints.toMillis() + 1000);
        }

        Set<String> ids = new HashSet<>();
        long dup = 0;
        Map<String, Set<Long>> trainLines = new HashMap<>();
        for (TrainingInteraction t : r.train()) {
            if (!ids.add(t.getEventId())) {
                dup++;
            }
            String id = t.getEventId();
            trainLines.computeIfAbsent(t.getMarket() + "|" + t.getUser(), u -> new HashSet<>())
                    .add(Long.parseLong(id.substring(id.lastIndexOf(':') + 1)));
        }
        List<String> problems = new ArrayList<>();
        int users = 0;
        int mismatches = 0;
        for (MarketData md : files.values()) {
            MarketSplit split = new LeaveOneOutSplitter(3).split(md);
            for (UserSplit u : split.users()) {
                users++;
                String key = md.market() + "|" + u.user();
                HoldoutState h = r.holdouts().get(key);
                Set<Long> offline = new HashSet<>();
                u.train().forEach(i -> offline.add(i.seq()));
                boolean same = h != null && u.test().item().equals(h.getTestItem())
                        && u.validation().item().equals(h.getValidItem()) && h.getTrainCount() == u.train().size()
                        && offline.equals(trainLines.getOrDefault(key, Set.of()));
                if (!same) {
                    mismatches++;
                    if (problems.size() < 3) {
                        problems.add("split of " + key);
                    }
                }
            }
        }
        AvroSerde serde = new AvroSerde(new RegistryClient(registry));
        Map<String, List<Long>> snapshots = new TreeMap<>();
        for (ModelRecord m : TopicReader.readAll(bootstrap, Map.of(), Topics.MODELS, serde, ModelRecord.class)) {
            if (m.getPart() == 0 && !m.getReference()) {
                snapshots.computeIfAbsent(m.getMarket().toString(), k -> new ArrayList<>()).add(m.getVersion());
            }
        }
        Map<String, List<Long>> deltas = new TreeMap<>();
        for (ModelDelta d : TopicReader.readAll(bootstrap, Map.of(), Topics.MODEL_DELTAS, serde, ModelDelta.class)) {
            deltas.computeIfAbsent(d.getMarket().toString(), k -> new ArrayList<>()).add(d.getVersion());
        }
        int versionProblems = 0;
        StringBuilder versions = new StringBuilder();
        for (String m : files.keySet()) {
            List<Long> s = snapshots.getOrDefault(m, List.of());
            List<Long> d = deltas.getOrDefault(m, List.of());
            Set<Long> seen = new HashSet<>();
            int bad = 0;
            for (List<Long> xs : List.of(s, d)) {
                for (int i = 0; i < xs.size(); i++) {
                    if (!seen.add(xs.get(i)) || (i > 0 && xs.get(i) <= xs.get(i - 1))) {
                        bad++;
                    }
                }
            }
            versionProblems += bad;
            if (bad > 0 && problems.size() < 6) {
                problems.add("versions of " + m + ": snapshots " + s + ", deltas " + d);
            }
            long newest = seen.stream().mapToLong(Long::longValue).max().orElse(0);
            versions.append(versions.length() > 0 ? ", " : "").append(m).append(" v").append(newest).append(" (")
                    .append(s.size()).append(" snapshots + ").append(d.size()).append(" deltas)");
        }
        long redelivered = r.deadLetters().stream().filter(d -> io.xmrec.stream.Deduplicate.ERROR_CLASS.contentEquals(d.getErrorClass())).count();
        return new Result(events, input, redelivered, r.train().size(), r.heldOut(), r.deadLetters().size(), dup, users, mismatches,
                versionProblems, versions.toString(), String.join("; ", problems));
    }
}
