package io.xmrec.core.dataset;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A dense mapping of string ids to indices 0..n-1. Offline vocabularies are sorted, so the mapping
 * depends only on the set of ids, not on the order they were seen in, and runs and saved models
 * line up; a model that follows a stream appends the ids it meets later ({@link #appended}), so
 * its existing rows never move.
 */
public final class IdVocabulary {

    private final String[] ids;
    private final Map<String, Integer> index;

    private IdVocabulary(String[] sortedIds) {
        this.ids = sortedIds;
        this.index = new HashMap<>(sortedIds.length * 2);
        for (int i = 0; i < sortedIds.length; i++) {
            index.put(sortedIds[i], i);
        }
    }

    /** The vocabulary of the distinct ids given, in sorted order. */
    public static IdVocabulary of(Collection<String> ids) {
        String[] a = (ids instanceof java.util.Set<String> set ? set : new java.util.HashSet<>(ids)).toArray(new String[0]);
        Arrays.sort(a);
        return new IdVocabulary(a);
    }

    /** A vocabulary from ids already in index order (loading a saved model); must be sorted and distinct. */
    public static IdVocabulary ofOrdered(List<String> ids) {
        String[] a = ids.toArray(new String[0]);
        for (int i = 1; i < a.length; i++) {
            if (a[i - 1].compareTo(a[i]) >= 0) {
                throw new IllegalArgumentException("vocabulary ids are not sorted and distinct at index " + i
                        + ": '" + a[i - 1] + "' then '" + a[i] + "'");
            }
        }
        return new IdVocabulary(a);
    }

    /** A vocabulary from distinct ids in any order (a model's rows, sorted or appended to). */
    public static IdVocabulary ofRows(List<String> ids) {
        String[] a = ids.toArray(new String[0]);
        IdVocabulary v = new IdVocabulary(a);
        if (v.index.size() != a.length) {
            throw new IllegalArgumentException("vocabulary ids are not distinct: " + a.length + " ids, "
                    + v.index.size() + " distinct");
        }
        return v;
    }

    /** This vocabulary with new distinct ids appended after the existing ones (whose indices stay). */
    public IdVocabulary appended(Collection<String> more) {
        String[] a = Arrays.copyOf(ids, ids.length + more.size());
        int k = ids.length;
        for (String id : more) {
            if (index.containsKey(id)) {
                throw new IllegalArgumentException("id '" + id + "' is already in the vocabulary");
            }
            a[k++] = id;
        }
        return ofRows(Arrays.asList(a));
    }

    public int size() {
        return ids.length;
    }

    /** Index of an id, or -1 when it is not in the vocabulary. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    /** Index of an id that must be present. */
    public int require(String id) {
        int i = indexOf(id);
        if (i < 0) {
            throw new IllegalArgumentException("id '" + id + "' is not in the vocabulary");
        }
        return i;
    }

    public String id(int index) {
        return ids[index];
    }

    public List<String> ids() {
        return Arrays.asList(ids.clone());
    }
}
