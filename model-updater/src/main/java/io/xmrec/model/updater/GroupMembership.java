package io.xmrec.model.updater;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * This updater's place in the updaters' consumer group: which markets it owns and whether it
 * trains the trunk, as {@link MarketAssignor} plans them. The group consumer subscribes to
 * {@code xmrec.train} for the group's sake only (its partitions stay paused: the input is read by
 * {@link UpdaterInput}); it is polled on the poll thread, where the rebalance callbacks run.
 */
final class GroupMembership implements AutoCloseable {

    /** What the updater does when the group changes. */
    interface Member {
        /** The markets this updater holds and reads, and whether it trains the trunk: what it claims in a rebalance. */
        MarketAssignor.Claim claim();

        /** A rebalance begins: the jobs in flight finish (and publish) before the markets can move. */
        void awaitJobs();

        /** A plan is in force: markets this updater no longer owns are given up; the trunk too when {@code trunkGone} says why. */
        void handOver(String trunkGone);
    }

    private final KafkaConsumer<byte[], byte[]> group;
    private final Consumer<String> log;
    private final Member member;
    private volatile MarketAssignor.Plan plan;
    private volatile String memberId;
    private volatile boolean suspended = true;
    private volatile boolean trunkOwner;
    private MarketAssignor.Plan rebalancedFor;

    GroupMembership(String bootstrap, Map<String, Object> clientProps, ContinualUpdater.Group settings,
                    Consumer<String> log, Member member) {
        this.log = log;
        this.member = member;
        Map<String, Object> g = new HashMap<>(clientProps);
        g.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        g.put(ConsumerConfig.GROUP_ID_CONFIG, settings.id());
        g.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        g.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, MarketAssignor.class.getName());
        g.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        g.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(300, settings.sessionTimeout().toMillis() / 5));
        g.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        g.put(MarketAssignor.MEMBERSHIP_CONFIG, new MarketAssignor.Membership() {
            @Override
            public MarketAssignor.Claim claim() {
                return member.claim();
            }

            @Override
            public void assigned(MarketAssignor.Plan p, String id, int generation) {
                plan = p;
                memberId = id;
                log.accept(String.format("updater: group generation %d: this updater (%s) owns %s%s", generation, id,
                        p.markets().getOrDefault(id, new TreeSet<>()),
                        id.equals(p.trunkOwner()) ? " and trains the trunk" : ", the trunk is " + p.trunkOwner() + "'s"));
            }
        });
        this.group = new KafkaConsumer<>(g, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        group.subscribe(List.of(io.xmrec.schemas.Topics.TRAIN), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                release(false);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                release(true);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                group.pause(partitions); // held for the group's sake only
                reconcile();
            }
        });
    }

    /** Heartbeats and rebalances (their callbacks run here). */
    void poll() {
        group.poll(Duration.ZERO);
    }

    /** Whether the plan in force gives {@code market} to this updater. */
    boolean owns(String market) {
        MarketAssignor.Plan p = plan;
        return p != null && memberId != null && memberId.equals(p.owner(market));
    }

    /** Whether a plan is in force. */
    boolean planned() {
        return plan != null;
    }

    /**
     * Whether this updater needs {@code market}'s input: it owns the market or trains the trunk (every market), or
     * no plan is in force yet.
     */
    boolean keeps(String market) {
        return plan == null || trunkOwner || owns(market);
    }

    /** Whether this updater trains the trunk. */
    boolean trunkOwner() {
        return trunkOwner;
    }

    /** Between a rebalance's start and its plan: nothing new may start. */
    boolean suspended() {
        return suspended;
    }

    /** Asks for a rebalance when a market read is not in the plan yet (it goes by hash until then). */
    void rebalanceForNew(Collection<String> markets) {
        MarketAssignor.Plan p = plan;
        if (p != null && p != rebalancedFor && markets.stream().anyMatch(m -> !p.lists(m))) {
            rebalancedFor = p;
            group.enforceRebalance("a market new to the group's plan");
        }
    }

    private void release(boolean lost) {
        suspended = true;
        member.awaitJobs();
        if (lost) {
            log.accept("updater: dropped from the group (no heartbeat within the session timeout): markets given up");
            plan = null;
            member.handOver("this updater left the group");
        }
    }

    private void reconcile() {
        boolean was = trunkOwner;
        trunkOwner = plan != null && memberId != null && memberId.equals(plan.trunkOwner());
        member.handOver(was && !trunkOwner ? "the trunk now belongs to another updater" : null);
        suspended = false;
    }

    /** Wakes a poll up (from another thread, to close). */
    void wakeup() {
        group.wakeup();
    }

    @Override
    public void close() {
        group.close(Duration.ofSeconds(5));
    }
}
