package io.xmrec.core.data.synth;

import io.xmrec.core.data.Markets;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The text form of a {@link SyntheticProfile} (the shipped resource, {@code xmrec synth --fit}'s output): one
 * "key value..." per line, each market a "market <code>" block, numbers in a locale-free form.
 */
final class ProfileText {

    private ProfileText() {
    }

    /** The profile as text. */
    static String format(SyntheticProfile p) {
        StringBuilder b = new StringBuilder("# xmrec synthetic-data profile: fitted statistics, no ids (xmrec synth --fit)\n");
        SyntheticProfile.Latent latent = p.latent();
        b.append("reach ").append(join(p.reachShares())).append('\n');
        b.append("reach-lift ").append(num(p.reachLift())).append('\n');
        b.append("pop-correlation ").append(num(p.popCorrelation())).append('\n');
        b.append("groups ").append(p.groups()).append('\n');
        b.append("concentration ").append(num(p.concentration())).append('\n');
        b.append("latent-correlation ").append(num(latent.correlation())).append('\n');
        b.append("latent-lift ").append(num(latent.lift())).append('\n');
        for (Map.Entry<String, MarketShape> e : p.markets().entrySet()) {
            MarketShape s = e.getValue();
            b.append("market ").append(e.getKey()).append('\n');
            b.append("  users ").append(s.users()).append('\n');
            b.append("  items ").append(s.items()).append('\n');
            b.append("  interactions ").append(s.interactions()).append('\n');
            b.append("  degree ").append(join(s.degree())).append('\n');
            b.append("  log-pop-sd ").append(num(s.logPopSd())).append('\n');
            b.append("  top10-share ").append(num(s.top10Share())).append('\n');
            b.append("  pop-ndcg ").append(num(s.popNdcg())).append('\n');
            b.append("  latent-log-pop-sd ").append(num(latent.logPopSd().get(e.getKey()))).append('\n');
            b.append("  latent-pop-mix ").append(num(latent.popMix().get(e.getKey()))).append('\n');
            b.append("  ratings ").append(join(s.ratings())).append('\n');
            b.append("  days ").append(join(s.days())).append('\n');
            b.append("  first ").append(join(s.first())).append('\n');
            b.append("  span ").append(join(s.span())).append('\n');
            for (int i = 0; i < s.spanByStart().length; i++) {
                b.append("  span-").append(i + 1).append(' ').append(join(s.spanByStart()[i])).append('\n');
            }
        }
        return b.toString();
    }

    /** Reads the text form; a bad line is an error naming its number. */
    static SyntheticProfile parse(String text) {
        Map<String, Map<String, String>> blocks = new LinkedHashMap<>();
        Map<String, String> global = new HashMap<>();
        Map<String, String> current = global;
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] kv = line.split("\\s+", 2);
            if (kv.length < 2) {
                throw new IllegalArgumentException("profile line " + (i + 1) + ": expected 'key value', got '" + line + "'");
            }
            if (kv[0].equals("market")) {
                current = new HashMap<>();
                blocks.put(Markets.requireValid(kv[1]), current);
            } else {
                current.put(kv[0], kv[1]);
            }
        }
        Map<String, MarketShape> shapes = new LinkedHashMap<>();
        Map<String, Double> latentSd = new LinkedHashMap<>();
        Map<String, Double> latentBackground = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> e : blocks.entrySet()) {
            Map<String, String> m = e.getValue();
            latentSd.put(e.getKey(), Double.parseDouble(req(m, "latent-log-pop-sd", e.getKey())));
            latentBackground.put(e.getKey(), Double.parseDouble(req(m, "latent-pop-mix", e.getKey())));
            String k = e.getKey();
            MarketShape.Popularity pop = new MarketShape.Popularity(Double.parseDouble(req(m, "log-pop-sd", k)),
                    Double.parseDouble(req(m, "top10-share", k)), Double.parseDouble(req(m, "pop-ndcg", k)));
            MarketShape.Time time = new MarketShape.Time(nums(req(m, "days", k)), nums(req(m, "first", k)),
                    nums(req(m, "span", k)), spanByStart(m, k));
            shapes.put(k, new MarketShape(Long.parseLong(req(m, "users", k)), Long.parseLong(req(m, "items", k)),
                    Long.parseLong(req(m, "interactions", k)), nums(req(m, "degree", k)), pop, nums(req(m, "ratings", k)),
                    time));
        }
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("the profile has no market");
        }
        return new SyntheticProfile(shapes, nums(req(global, "reach", "the profile")),
                Double.parseDouble(req(global, "reach-lift", "the profile")),
                Double.parseDouble(req(global, "pop-correlation", "the profile")),
                Integer.parseInt(req(global, "groups", "the profile")),
                Double.parseDouble(req(global, "concentration", "the profile")),
                new SyntheticProfile.Latent(latentSd, latentBackground, Double.parseDouble(req(global, "latent-correlation", "the profile")),
                        Double.parseDouble(req(global, "latent-lift", "the profile"))));
    }

    private static double[][] spanByStart(Map<String, String> m, String market) {
        double[][] out = new double[SyntheticProfile.START_BINS][];
        for (int i = 0; i < SyntheticProfile.START_BINS; i++) {
            out[i] = nums(req(m, "span-" + (i + 1), market));
        }
        return out;
    }

    private static String req(Map<String, String> m, String key, String where) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + " of the profile has no '" + key + "'");
        }
        return v;
    }

    private static double[] nums(String s) {
        return Arrays.stream(s.trim().split("\\s+")).mapToDouble(Double::parseDouble).toArray();
    }

    private static String join(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(b.isEmpty() ? "" : " ").append(num(x));
        }
        return b.toString();
    }

    private static String num(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e12 ? Long.toString((long) x) : String.format(Locale.ROOT, "%.6g", x);
    }
}
