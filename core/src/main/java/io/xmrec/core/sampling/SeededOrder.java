package io.xmrec.core.sampling;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A fixed pseudo-random order of ids given a seed (FNV-1a style hash of the id's characters): a
 * sample taken as the first n ids in this order is the same whatever order the ids come in, and
 * an id keeps its place as others come and go.
 */
public final class SeededOrder {

    private SeededOrder() {
    }

    public static long hash(long seed, String id) {
        long h = seed ^ 0x9E3779B97F4A7C15L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001B3L;
        }
        return h;
    }

    /** The first {@code n} ids in the seeded order (all of them when there are no more than n). */
    public static List<String> first(Collection<String> ids, int n, long seed) {
        List<String> out = new ArrayList<>(ids);
        out.sort(Comparator.comparingLong((String u) -> hash(seed, u)).thenComparing(Comparator.naturalOrder()));
        return out.size() > n ? new ArrayList<>(out.subList(0, n)) : out;
    }
}
