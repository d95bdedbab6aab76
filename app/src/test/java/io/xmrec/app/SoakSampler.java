package io.xmrec.app;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak's instruments (bench/faults.sh, run "soak"): every 10 s, each process's resident memory, each
 * JVM's heap after its latest garbage collection (from its {@code -Xlog:gc} file), every consumer
 * group's lag, and the updaters' freshness (promotion to a published model, p50 and p99); and the
 * looped data it replays: the newest reviews of each market, copied with their event times shifted
 * back a window at a time and new user ids, so the stream runs for long at a steady rate without an
 * event time in the future (which the holdout job dead-letters).
 */
final class SoakSampler {

    private static final Pattern AFTER_GC = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    /** One sample: seconds since the start, then per series name its value. */
    record Sample(double t, Map<String, Double> values) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final long t0 = System.nanoTime();

    /** What {@link #writeLoops} wrote: loops, a loop's length in days of event time, reviews in all. */
    record Loops(int loops, long windowDays, long reviews) {
    }

    /**
     * Writes {@code <market>_5core.txt} files under {@code out} for a looped replay of at least {@code minutes}
     * at {@code daysPerSecond}: the reviews of each market on or after {@code from}, loop k of L shifted back
     * by (L - 1 - k) windows (the window: {@code from} to the newest review, plus a day) with its users
     * renamed {@code <user>L<k>}; refused when the first loop would start before 1995.
     */
    static Loops writeLoops(Map<String, Path> files, LocalDate from, double minutes, double daysPerSecond, Path out)
            throws IOException {
        Files.createDirectories(out);
        LocalDate newest = from;
        Map<String, List<String[]>> rows = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            List<String[]> keep = new ArrayList<>();
            for (String line : Files.readAllLines(f.getValue())) {
                String[] p = line.trim().split("\\s+");
                if (p.length != 4 || p[3].equals("date")) {
                    continue;
                }
                LocalDate d = LocalDate.parse(p[3]);
                if (!d.isBefore(from)) {
                    keep.add(p);
                    newest = d.isAfter(newest) ? d : newest;
                }
            }
            rows.put(f.getKey(), keep);
        }
        long window = newest.toEpochDay() - from.toEpochDay() + 1;
        int loops = (int) Math.ceil(minutes * 60 * daysPerSecond / window);
        LocalDate earliest = from.minusDays(window * (loops - 1));
        if (earliest.isBefore(LocalDate.of(1995, 1, 1))) {
            throw new IllegalArgumentException(loops + " loops of " + window + " days from " + from + " would start on " + earliest
                    + ", before 1995 (the holdout job dead-letters such event times): start later or replay slower");
        }
        long n = 0;
        for (Map.Entry<String, List<String[]>> m : rows.entrySet()) {
            StringBuilder b = new StringBuilder("userId itemId rate date\n");
            for (int k = 0; k < loops; k++) {
                long shift = window * (loops - 1 - k);
                for (String[] p : m.getValue()) {
                    b.append(p[0]).append('L').append(k).append(' ').append(p[1]).append(' ').append(p[2]).append(' ')
                            .append(LocalDate.parse(p[3]).minusDays(shift)).append('\n');
                    n++;
                }
            }
            Files.writeString(out.resolve(m.getKey() + "_5core.txt"), b.toString());
        }
        return new Loops(loops, window, n);
    }

    private static double rssMiB(Process p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // gone
        }
        return Double.NaN;
    }

    private static double heapAfterGcMiB(Path gcLog) {
        try {
            if (!Files.exists(gcLog)) {
                return Double.NaN;
            }
            List<String> lines = Files.readAllLines(gcLog);
            for (int i = lines.size() - 1; i >= 0; i--) {
                Matcher m = AFTER_GC.matcher(lines.get(i));
                if (m.find()) {
                    return Double.parseDouble(m.group(2));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // not readable now
        }
        return Double.NaN;
    }

    /** Lag (records) of every consumer group with committed offsets. */
    private static Map<String, Double> lags(Admin admin) {
        Map<String, Double> out = new LinkedHashMap<>();
        try {
            for (ConsumerGroupListing g : admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(g.groupId())
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                if (committed.isEmpty()) {
                    continue;
                }
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                Map<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> ends =
                        admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                double lag = 0;
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
                    if (e.getValue() != null) {
                        lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                    }
                }
                out.put("lag " + g.groupId(), lag);
            }
        } catch (Exception e) {
            // a broker busy or away: this sample has no lag
        }
        return out;
    }

    /** Takes one sample of the processes (name -> process, gc log), the consumer groups and the extra values. */
    void sample(Map<String, Process> processes, Path gcLogs, Admin admin, Supplier<Map<String, Double>> extra) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (Map.Entry<String, Process> p : processes.entrySet()) {
            if (p.getValue().isAlive()) {
                v.put("rss " + p.getKey(), rssMiB(p.getValue()));
                v.put("heap " + p.getKey(), heapAfterGcMiB(gcLogs.resolve(p.getKey() + "-gc.log")));
            }
        }
        v.putAll(lags(admin));
        v.putAll(extra.get());
        synchronized (samples) {
            samples.add(new Sample((System.nanoTime() - t0) / 1e9, v));
        }
    }

    /** Every sample as TSV (one column per series). */
    void writeTsv(Path file) throws IOException {
        List<String> names = new ArrayList<>();
        synchronized (samples) {
            for (Sample s : samples) {
                s.values().keySet().stream().filter(k -> !names.contains(k)).forEach(names::add);
            }
            StringBuilder b = new StringBuilder("t");
            names.forEach(n -> b.append('\t').append(n));
            b.append('\n');
            for (Sample s : samples) {
                b.append(String.format(Locale.ROOT, "%.0f", s.t()));
                for (String n : names) {
                    Double x = s.values().get(n);
                    b.append('\t').append(x == null || x.isNaN() ? "" : String.format(Locale.ROOT, "%.2f", x));
                }
                b.append('\n');
            }
            Files.writeString(file, b.toString());
        }
    }

    /**
     * A markdown table per series: mean over the first and the last {@code minutes} of [from, to] seconds,
     * the peak, and the least-squares slope per 10 minutes over the whole span.
     */
    String summary(double from, double to, double minutes) {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        synchronized (samples) {
            for (Sample s : samples) {
                if (s.t() < from || s.t() > to) {
                    continue;
                }
                s.values().forEach((k, x) -> {
                    if (!x.isNaN()) {
                        series.computeIfAbsent(k, q -> new ArrayList<>()).add(new double[] {s.t(), x});
                    }
                });
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "| series | first %.0f min | last %.0f min | peak | slope per 10 min | samples |%n",
                minutes, minutes));
        b.append("|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            List<double[]> xs = e.getValue();
            double first = mean(xs, from, from + minutes * 60);
            double last = mean(xs, to - minutes * 60, to);
            double peak = xs.stream().mapToDouble(p -> p[1]).max().orElse(Double.NaN);
            double mt = xs.stream().mapToDouble(p -> p[0]).average().orElse(0);
            double my = xs.stream().mapToDouble(p -> p[1]).average().orElse(0);
            double sxy = 0;
            double sxx = 0;
            for (double[] p : xs) {
                sxy += (p[0] - mt) * (p[1] - my);
                sxx += (p[0] - mt) * (p[0] - mt);
            }
            double slope = sxx == 0 ? 0 : sxy / sxx * 600;
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %d |%n", e.getKey(), fmt(first), fmt(last), fmt(peak),
                    fmt(slope), xs.size()));
        }
        return b.toString();
    }

    private static double mean(List<double[]> xs, double from, double to) {
        return xs.stream().filter(p -> p[0] >= from && p[0] <= to).mapToDouble(p -> p[1]).average().orElse(Double.NaN);
    }

    private static String fmt(double x) {
        return Double.isNaN(x) ? "-" : Math.abs(x) >= 100 ? String.format(Locale.ROOT, "%,.0f", x)
                : String.format(Locale.ROOT, "%.2f", x);
    }

    double now() {
        return (System.nanoTime() - t0) / 1e9;
    }
}
