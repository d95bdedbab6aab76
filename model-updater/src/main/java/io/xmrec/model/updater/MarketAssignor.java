package io.xmrec.model.updater;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Shares markets (not partitions) among the model-updaters of one consumer group. Every updater
 * reads all of {@code xmrec.train} and {@code xmrec.holdouts} itself (the trunk needs every
 * market); the group only decides who fine-tunes which market and who trains the trunk. Each
 * member tells the leader which markets it owns and which it has seen ({@link Claim}); the leader
 * keeps owners where it can, balances the counts (they differ by at most one), gives the trunk to
 * its previous owner or else to the member with the fewest markets, and sends everyone the whole
 * {@link Plan}. The subscribed topic's partitions go to the trunk owner, who pauses them: the
 * group's consumers fetch nothing.
 *
 * <p>Classic (eager) protocol: before a rebalance every member gives back everything (the
 * updater's revocation callback waits for its fine-tuning in flight), so a market's old owner has
 * published its last version before the new owner reads it.
 */
public final class MarketAssignor implements ConsumerPartitionAssignor, Configurable {

    /** Name of the assignment strategy (the group's members must all use it). */
    public static final String NAME = "xmrec-markets";

    /** Consumer config key under which the {@link Membership} this assignor reports to is passed. */
    public static final String MEMBERSHIP_CONFIG = "xmrec.updater.membership";

    /** What a member says when it joins: the markets it owns now, those it has seen, whether it trains the trunk. */
    public record Claim(SortedSet<String> owned, SortedSet<String> known, boolean trunk) {
        public Claim {
            owned = new TreeSet<>(owned);
            known = new TreeSet<>(known);
        }

        ByteBuffer encode() {
            return write(out -> {
                strings(out, owned);
                strings(out, known);
                out.writeBoolean(trunk);
            });
        }

        static Claim decode(ByteBuffer b) {
            if (b == null || !b.hasRemaining()) {
                return new Claim(new TreeSet<>(), new TreeSet<>(), false);
            }
            return read(b, in -> new Claim(strings(in), strings(in), in.readBoolean()));
        }
    }

    /**
     * Who owns what in one generation of the group. A market not listed (it appeared after the
     * rebalance) belongs to the member its name hashes to, the same on every member, until the
     * next rebalance lists it.
     */
    public record Plan(List<String> members, Map<String, SortedSet<String>> markets, String trunkOwner) {
        public Plan {
            members = List.copyOf(members);
            Map<String, SortedSet<String>> copy = new TreeMap<>();
            markets.forEach((m, s) -> copy.put(m, new TreeSet<>(s)));
            markets = copy;
        }

        /** Whether the plan names the market's owner (else it went by hash: the group should rebalance to list it). */
        public boolean lists(String market) {
            return markets.values().stream().anyMatch(s -> s.contains(market));
        }

        /** The member that fine-tunes this market. */
        public String owner(String market) {
            for (Map.Entry<String, SortedSet<String>> e : markets.entrySet()) {
                if (e.getValue().contains(market)) {
                    return e.getKey();
                }
            }
            return members.isEmpty() ? null : members.get(Math.floorMod(market.hashCode(), members.size()));
        }

        ByteBuffer encode() {
            return write(out -> {
                strings(out, members);
                out.writeInt(markets.size());
                for (Map.Entry<String, SortedSet<String>> e : markets.entrySet()) {
                    out.writeUTF(e.getKey());
                    strings(out, e.getValue());
                }
                out.writeUTF(trunkOwner == null ? "" : trunkOwner);
            });
        }

        static Plan decode(ByteBuffer b) {
            return read(b, in -> {
                List<String> members = new ArrayList<>(strings(in));
                Map<String, SortedSet<String>> markets = new TreeMap<>();
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    String member = in.readUTF();
                    markets.put(member, strings(in));
                }
                String trunk = in.readUTF();
                return new Plan(members, markets, trunk.isEmpty() ? null : trunk);
            });
        }
    }

    /**
     * The leader's decision: owners keep their markets up to the balanced count (members in id
     * order), markets left over go to whoever has fewest, and the trunk stays with the first member
     * claiming it or else goes to the member with the fewest markets.
     */
    public static Plan plan(Map<String, Claim> claims) {
        List<String> members = new ArrayList<>(new TreeSet<>(claims.keySet()));
        SortedSet<String> all = new TreeSet<>();
        claims.values().forEach(c -> {
            all.addAll(c.owned());
            all.addAll(c.known());
        });
        Map<String, SortedSet<String>> out = new TreeMap<>();
        members.forEach(m -> out.put(m, new TreeSet<>()));
        if (members.isEmpty()) {
            return new Plan(members, out, null);
        }
        int base = all.size() / members.size();
        int extra = all.size() % members.size();
        Set<String> taken = new TreeSet<>();
        for (String m : members) {
            for (String market : claims.get(m).owned()) {
                if (out.get(m).size() < base + (extra > 0 ? 1 : 0) && taken.add(market)) {
                    out.get(m).add(market);
                }
            }
        }
        // at most `extra` members may hold base + 1: the last ones over it give one back
        int over = (int) members.stream().filter(m -> out.get(m).size() > base).count();
        for (int i = members.size() - 1; i >= 0 && over > extra; i--) {
            SortedSet<String> s = out.get(members.get(i));
            if (s.size() > base) {
                String back = s.last();
                s.remove(back);
                taken.remove(back);
                over--;
            }
        }
        for (String market : all) {
            if (!taken.contains(market)) {
                String least = members.get(0);
                for (String m : members) {
                    if (out.get(m).size() < out.get(least).size()) {
                        least = m;
                    }
                }
                out.get(least).add(market);
            }
        }
        String trunk = members.stream().filter(m -> claims.get(m).trunk()).findFirst().orElse(null);
        if (trunk == null) {
            trunk = members.get(0);
            for (String m : members) {
                if (out.get(m).size() < out.get(trunk).size()) {
                    trunk = m;
                }
            }
        }
        return new Plan(members, out, trunk);
    }

    private Membership membership;

    @Override
    public void configure(Map<String, ?> configs) {
        Object m = configs.get(MEMBERSHIP_CONFIG);
        if (!(m instanceof Membership)) {
            throw new IllegalArgumentException(MEMBERSHIP_CONFIG + " must hold the updater's Membership, not " + m);
        }
        this.membership = (Membership) m;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return membership.claim().encode();
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        Map<String, Claim> claims = new HashMap<>();
        group.groupSubscription().forEach((member, s) -> claims.put(member, Claim.decode(s.userData())));
        Plan p = plan(claims);
        ByteBuffer plan = p.encode();
        // the subscribed topic's partitions go to the trunk owner, who pauses them (nothing is fetched through the
        // group): Kafka expects every subscribed partition to have an owner
        List<TopicPartition> all = new ArrayList<>();
        for (String topic : new TreeSet<>(group.groupSubscription().values().stream()
                .flatMap(s -> s.topics().stream()).toList())) {
            for (PartitionInfo pi : metadata.partitionsForTopic(topic)) {
                all.add(new TopicPartition(topic, pi.partition()));
            }
        }
        Map<String, Assignment> out = new HashMap<>();
        for (String member : claims.keySet()) {
            out.put(member, new Assignment(member.equals(p.trunkOwner()) ? all : List.of(), plan.duplicate()));
        }
        return new GroupAssignment(out);
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        membership.assigned(Plan.decode(assignment.userData()), metadata.memberId(), metadata.generationId());
    }

    /** What the updater tells the assignor and learns from it (read and written on the updater's poll thread). */
    public interface Membership {
        Claim claim();

        void assigned(Plan plan, String memberId, int generation);
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static ByteBuffer write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1); // format version
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteBuffer.wrap(bytes.toByteArray());
    }

    private static <T> T read(ByteBuffer b, Reader<T> r) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(a))) {
            int v = in.readByte();
            if (v != 1) {
                throw new IllegalStateException("updater group data of format " + v + " (this updater knows 1): "
                        + "every updater of a group must run the same xmrec version");
            }
            return r.read(in);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable updater group data: " + e.getMessage(), e);
        }
    }

    private static void strings(DataOutputStream out, Collection<String> s) throws IOException {
        out.writeInt(s.size());
        for (String x : s) {
            out.writeUTF(x);
        }
    }

    private static SortedSet<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        SortedSet<String> s = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            s.add(in.readUTF());
        }
        return s;
    }
}
