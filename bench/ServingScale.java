// Serving and model transport at catalogue scale, for bench/scale.sh (part "serving"): run with the app's jar,
//   java -cp app/target/xmrec.jar bench/ServingScale.java MODEL_DIR MARKET_FILE MARKET SECONDS CLIENTS
// MODEL_DIR is a model saved by `xmrec offline --save-models` (tensors.bin, users.txt, items.txt), MARKET_FILE the
// market's file (what each user reviewed is left out, as in production). Prints one JSON object:
//   recall of the retrieved candidates against the exhaustive top 10 (300 seeded users, 50 at a million items),
//   in-process time of both,
//   HTTP top 10 latency with CLIENTS concurrent clients for SECONDS, and the model published in parts on an
//   in-process broker and loaded by a new client (seconds, bytes, records).
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetFile;
import io.xmrec.embedded.EmbeddedCluster;
import io.xmrec.schemas.ModelRecord;
import io.xmrec.schemas.Topics;
import io.xmrec.serving.ModelClient;
import io.xmrec.serving.ModelParts;
import io.xmrec.serving.ModelRecords;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.RecommendationServer;
import io.xmrec.serving.SeenSource;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ServedModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

public class ServingScale {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path file = Path.of(args[1]);
        String market = args[2];
        int seconds = Integer.parseInt(args[3]);
        int clients = Integer.parseInt(args[4]);
        Net net = NetFile.read(dir.resolve("tensors.bin"));
        // the saved vocabulary keys users by market ("market/user"); the endpoints take the shop's user id
        List<String> userIds = new ArrayList<>();
        for (String k : Files.readAllLines(dir.resolve("users.txt"))) {
            userIds.add(k.substring(k.indexOf('/') + 1));
        }
        IdVocabulary users = IdVocabulary.ofRows(userIds);
        IdVocabulary items = IdVocabulary.ofRows(Files.readAllLines(dir.resolve("items.txt")));
        MarketData md = XMarketReader.strict().read(market, file);
        Map<String, Set<String>> seen = new HashMap<>();
        Map<String, List<Interaction>> byUser = new HashMap<>();
        for (Interaction x : md.interactions()) {
            seen.computeIfAbsent(x.user(), u -> new HashSet<>()).add(x.item());
            byUser.computeIfAbsent(x.user(), u -> new ArrayList<>()).add(x);
        }
        // the catalogue a served model has: items with a training interaction (the offline run's vocabulary also
        // names items that were only ever held out; the updater gives no such item a row, and their rows here are
        // untrained: their scores mean nothing)
        boolean[] trained = new boolean[items.size()];
        for (List<Interaction> xs : byUser.values()) {
            xs.sort(Interaction::compareByTime);
            for (int k = 0; k < xs.size() - 2; k++) {
                int row = items.indexOf(xs.get(k).item());
                if (row >= 0) {
                    trained[row] = true;
                }
            }
        }
        int[] catalogue = java.util.stream.IntStream.range(0, items.size()).filter(i -> trained[i]).toArray();
        ServedModel m = new ServedModel(ModelMeta.builder(market, 1, 1).createdAtMillis(System.currentTimeMillis())
                .build(), net, users, items, catalogue, new int[0]);
        StringBuilder json = new StringBuilder("{");
        json.append("\"users\":").append(users.size()).append(",\"items\":").append(items.size())
                .append(",\"catalogue\":").append(catalogue.length);

        // recall@10 of candidate retrieval against the exhaustive top 10, same exclusions
        SplittableRandom rnd = new SplittableRandom(42);
        double recall = 0;
        long exhaustiveNanos = 0;
        long retrievalNanos = 0;
        int n = (int) Math.max(50, Math.min(300, 30_000_000L / Math.max(1, catalogue.length))); // exhaustive is slow at 1M items
        for (int k = 0; k < n; k++) {
            String id = users.ids().get(rnd.nextInt(users.size()));
            int row = users.indexOf(id);
            Set<String> mine = seen.getOrDefault(id, Set.of());
            Set<Integer> ex = new HashSet<>();
            for (String it : mine) {
                int r = items.indexOf(it);
                if (r >= 0) {
                    ex.add(r);
                }
            }
            long t0 = System.nanoTime();
            List<ServedModel.Scored> want = m.exhaustive(row, 10, ex::contains, new int[0]);
            long t1 = System.nanoTime();
            List<ServedModel.Scored> got = m.recommend(row, 10, ex::contains);
            long t2 = System.nanoTime();
            exhaustiveNanos += t1 - t0;
            retrievalNanos += t2 - t1;
            Set<String> w = new HashSet<>();
            want.forEach(s -> w.add(s.item()));
            recall += got.stream().filter(s -> w.contains(s.item())).count() / (double) want.size();
        }
        json.append(String.format(",\"recall_users\":%d", n));
        json.append(String.format(",\"recall_at_10\":%.4f,\"exhaustive_ms\":%.2f,\"retrieval_ms\":%.2f,\"candidates\":%d",
                recall / n, exhaustiveNanos / 1e6 / n, retrievalNanos / 1e6 / n, ServedModel.CANDIDATES));

        // HTTP: top 10 for random users, CLIENTS clients in parallel
        Map<String, Set<String>> seenByKey = new HashMap<>();
        seen.forEach((u, s) -> seenByKey.put(market + "|" + u, s));
        ModelSource source = ModelSource.of(Map.of(market, m));
        SeenSource seenSource = SeenSource.of(seenByKey, Map.of());
        try (RecommendationServer server = new RecommendationServer(source, seenSource, () -> true, "127.0.0.1", 0)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<String> ids = new ArrayList<>(seen.keySet());
            // warm-up
            for (int k = 0; k < 200; k++) {
                get(http, server.url() + "/recommendations/" + market + "/" + ids.get(k % ids.size()) + "?k=10");
            }
            List<long[]> lat = new ArrayList<>();
            AtomicLong failed = new AtomicLong();
            long until = System.nanoTime() + seconds * 1_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                long[] mine = new long[2_000_000];
                lat.add(mine);
                int seed = c;
                Thread t = new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    int i = 1;
                    while (System.nanoTime() < until && i < mine.length) {
                        String u = ids.get(r.nextInt(ids.size()));
                        long a = System.nanoTime();
                        int status = get(http, server.url() + "/recommendations/" + market + "/" + u + "?k=10");
                        mine[i++] = System.nanoTime() - a;
                        if (status != 200) {
                            failed.incrementAndGet();
                        }
                    }
                    mine[0] = i - 1;
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            long total = 0;
            for (long[] l : lat) {
                total += l[0];
            }
            long[] all = new long[(int) total];
            int at = 0;
            for (long[] l : lat) {
                System.arraycopy(l, 1, all, at, (int) l[0]);
                at += (int) l[0];
            }
            Arrays.sort(all);
            json.append(String.format(",\"clients\":%d,\"requests\":%d,\"failed\":%d,\"req_per_s\":%.1f,\"p50_ms\":%.2f,"
                            + "\"p99_ms\":%.2f,\"max_ms\":%.2f", clients, total, failed.get(), total / (double) seconds,
                    all[(int) (all.length * 0.5)] / 1e6, all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6,
                    all[all.length - 1] / 1e6));
        }

        // the model on the wire: published in parts in one transaction, loaded by a client that starts after
        try (EmbeddedCluster c = EmbeddedCluster.start(List.of(market), 1)) {
            ModelRecord r = ModelRecords.record(m, "nmf");
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-serving-scale");
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
            p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1L << 30);
            long t0 = System.nanoTime();
            List<ModelRecord> parts = ModelParts.split(r, ModelParts.PART_BYTES);
            long bytes = 0;
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                for (ModelRecord part : parts) {
                    byte[] v = c.serde().serialize(Topics.MODELS, part);
                    bytes += v.length;
                    producer.send(new ProducerRecord<>(Topics.MODELS, 0, ModelParts.key(market, part.getPart()), v));
                }
                producer.commitTransaction();
            }
            double publish = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            try (ModelClient client = new ModelClient(c.bootstrap(), Map.of(), c.serde())) {
                ServedModel loaded = client.await(market, 1, Duration.ofMinutes(10));
                double load = (System.nanoTime() - t1) / 1e9;
                int row = users.size() / 2;
                boolean same = loaded != null && Arrays.equals(m.score(row, new int[]{0, 1, 2, items.size() - 1}),
                        loaded.score(row, new int[]{0, 1, 2, items.size() - 1}));
                json.append(String.format(",\"model_bytes\":%d,\"model_records\":%d,\"publish_s\":%.2f,\"load_s\":%.2f,"
                        + "\"loaded_scores_equal\":%s", bytes, parts.size(), publish, load, same));
            }
        }
        System.out.println(json.append("}"));
    }

    private static int get(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
