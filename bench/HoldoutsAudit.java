// Reads the holdout job's final state from a running system's broker (xmrec.holdouts and xmrec.train, committed
// records only) and writes it as TSV for bench/offline_split_check.py: market, user, validation item, test item, and
// the user's training interactions counted on xmrec.train (so a lost or doubled one shows as a wrong count).
//   java -cp app/target/xmrec.jar bench/HoldoutsAudit.java BOOTSTRAP REGISTRY_URL OUT.tsv
import io.xmrec.app.embedded.EmbeddedHoldouts;

import java.nio.file.Path;
import java.util.Map;

public class HoldoutsAudit {
    public static void main(String[] args) {
        EmbeddedHoldouts.Result r = EmbeddedHoldouts.read(args[0], args[1], Map.of(), 0);
        EmbeddedHoldouts.dump(r, Path.of(args[2]));
        System.out.printf("users %d, training interactions %d, held out %d, dead letters %d%n", r.holdouts().size(),
                r.train().size(), r.heldOut(), r.deadLetters().size());
    }
}
