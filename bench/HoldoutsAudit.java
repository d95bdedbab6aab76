// Reads the holdout job's final state from a running system's broker (xmrec.holdouts and xmrec.train, committed
// records only) and writes it as TSV for bench/offline_split_check.py: market, user, validation item, test item, and
// the user's training interactions counted on xmrec.train (so a lost or doubled one shows as a wrong count). Streams
// the training topic (a count per user, not the records), so a 100x data set's audit fits in a small heap.
//   java -cp app/target/xmrec.jar bench/HoldoutsAudit.java BOOTSTRAP REGISTRY_URL OUT.tsv
import io.xmrec.schemas.HoldoutState;
import io.xmrec.schemas.TopicReader;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.TrainingInteraction;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

public class HoldoutsAudit {
    public static void main(String[] args) throws IOException {
        AvroSerde serde = new AvroSerde(new RegistryClient(args[1]));
        Map<String, HoldoutState> latest = new HashMap<>();
        TopicReader.readToEnd(args[0], Map.of(), Topics.HOLDOUTS, r -> {
            if (r.value() != null) {
                HoldoutState h = serde.deserialize(r.value(), HoldoutState.class);
                latest.merge(h.getMarket() + "|" + h.getUser(), h, (a, b) -> b.getVersion() >= a.getVersion() ? b : a);
            }
        });
        Map<String, int[]> train = new HashMap<>();
        long[] records = new long[1];
        TopicReader.readToEnd(args[0], Map.of(), Topics.TRAIN, r -> {
            if (r.value() != null) {
                TrainingInteraction t = serde.deserialize(r.value(), TrainingInteraction.class);
                train.computeIfAbsent(t.getMarket() + "|" + t.getUser(), k -> new int[1])[0]++;
                records[0]++;
            }
        });
        long[] dead = new long[1];
        TopicReader.readToEnd(args[0], Map.of(), Topics.DEADLETTER, r -> dead[0]++);
        try (Writer w = Files.newBufferedWriter(Path.of(args[2]))) {
            w.write("market\tuser\tvalid_item\ttest_item\ttrain_count\n");
            for (HoldoutState h : latest.values()) {
                int[] n = train.get(h.getMarket() + "|" + h.getUser());
                w.write(h.getMarket() + "\t" + h.getUser() + "\t" + (h.getValidItem() == null ? "" : h.getValidItem())
                        + "\t" + h.getTestItem() + "\t" + (n == null ? 0 : n[0]) + "\n");
            }
        }
        System.out.printf("users %d, training interactions %d, dead letters %d%n", latest.size(), records[0], dead[0]);
    }
}
