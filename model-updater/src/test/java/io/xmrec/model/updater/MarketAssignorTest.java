package io.xmrec.model.updater;

import io.xmrec.model.updater.MarketAssignor.Claim;
import io.xmrec.model.updater.MarketAssignor.Plan;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarketAssignorTest {

    private static final List<String> SEVEN = List.of("ca", "de", "fr", "in", "jp", "mx", "uk");

    private static Claim claim(Set<String> owned, boolean trunk) {
        return new Claim(new TreeSet<>(owned), new TreeSet<>(SEVEN), trunk);
    }

    private static void assertPartition(Plan p, int members) {
        Set<String> seen = new TreeSet<>();
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (String m : p.members()) {
            Set<String> s = p.markets().get(m);
            for (String market : s) {
                assertTrue(seen.add(market), market + " given twice: " + p);
                assertEquals(m, p.owner(market));
            }
            min = Math.min(min, s.size());
            max = Math.max(max, s.size());
        }
        assertEquals(new TreeSet<>(SEVEN), seen, "every market has an owner");
        assertEquals(members, p.members().size());
        assertTrue(max - min <= 1, "balanced: " + p);
    }

    @Test
    void firstPlanSpreadsEveryMarketEvenlyAndGivesTheTrunkToOne() {
        Map<String, Claim> c = new HashMap<>();
        for (String m : List.of("a", "b", "c")) {
            c.put(m, claim(Set.of(), false));
        }
        Plan p = MarketAssignor.plan(c);
        assertPartition(p, 3);
        assertEquals(2, p.markets().get(p.trunkOwner()).size(), "the trunk goes to a member with fewest markets");
    }

    @Test
    void ownersKeepTheirMarketsAndOnlyTheLeaversMarketsMove() {
        Map<String, Claim> two = new HashMap<>();
        two.put("a", claim(Set.of("ca", "de", "fr", "in"), false));
        two.put("b", claim(Set.of("jp", "mx", "uk"), true));
        Plan p = MarketAssignor.plan(two);
        assertEquals(Set.of("ca", "de", "fr", "in"), p.markets().get("a"));
        assertEquals(Set.of("jp", "mx", "uk"), p.markets().get("b"));
        assertEquals("b", p.trunkOwner(), "the trunk stays where it was");

        // b goes away: a gets everything, and the trunk
        Plan alone = MarketAssignor.plan(Map.of("a", claim(p.markets().get("a"), false)));
        assertEquals(new TreeSet<>(SEVEN), alone.markets().get("a"));
        assertEquals("a", alone.trunkOwner());

        // a third member joins: it takes markets from the biggest owners, nothing else moves
        Map<String, Claim> three = new HashMap<>(two);
        three.put("c", claim(Set.of(), false));
        Plan q = MarketAssignor.plan(three);
        assertPartition(q, 3);
        assertTrue(p.markets().get("a").containsAll(q.markets().get("a")));
        assertTrue(p.markets().get("b").containsAll(q.markets().get("b")));
        assertEquals(2, q.markets().get("c").size());
        assertEquals("b", q.trunkOwner());
    }

    @Test
    void doubleClaimsAndOverfullOwnersAreResolved() {
        Map<String, Claim> c = new HashMap<>();
        c.put("a", claim(Set.copyOf(SEVEN), false)); // e.g. it owned everything while alone
        c.put("b", claim(Set.of("ca", "de"), false)); // a stale claim on markets a holds
        Plan p = MarketAssignor.plan(c);
        assertPartition(p, 2);
        assertEquals(Set.of("ca", "de", "fr", "in"), p.markets().get("a"), "the first claimant keeps up to its share");
        assertEquals(Set.of("jp", "mx", "uk"), p.markets().get("b"));
        assertEquals("b", p.trunkOwner(), "nobody claimed the trunk: the member with fewest markets");
    }

    @Test
    void aMarketNobodyListedGoesToTheSameMemberEverywhere() {
        Plan p = MarketAssignor.plan(Map.of("a", claim(Set.of(), false), "b", claim(Set.of(), false)));
        String owner = p.owner("br");
        assertTrue(p.lists("in") && !p.lists("br"), "listed markets are known ones");
        assertTrue(Set.of("a", "b").contains(owner));
        Plan decoded = Plan.decode(p.encode());
        assertEquals(p, decoded);
        assertEquals(owner, decoded.owner("br"));
        Claim cl = claim(Set.of("in"), true);
        assertEquals(cl, Claim.decode(cl.encode()));
        assertNull(MarketAssignor.plan(Map.of()).trunkOwner());
    }
}
