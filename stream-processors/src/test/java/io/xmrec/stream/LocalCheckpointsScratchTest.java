package io.xmrec.stream;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** The embedded default's scratch checkpoints go away with the run, also while the job is still removing some. */
class LocalCheckpointsScratchTest {

    @Test
    void closingRemovesEveryCheckpointEvenWhenSomeVanishMeanwhile() throws Exception {
        for (int round = 0; round < 20; round++) {
            LocalCheckpoints.Scratch s = new LocalCheckpoints.Scratch();
            List<Path> chks = new ArrayList<>();
            for (int c = 0; c < 30; c++) {
                Path chk = Files.createDirectories(s.dir().resolve("job").resolve("chk-" + c));
                for (int f = 0; f < 5; f++) {
                    Files.writeString(chk.resolve("part-" + f), "state");
                }
                chks.add(chk);
            }
            // as Flink's cleanup does when the job stops: checkpoints removed while the walk runs
            Thread cleaner = new Thread(() -> {
                for (Path chk : chks) {
                    try (var files = Files.list(chk)) {
                        for (Path f : files.toList()) {
                            Files.deleteIfExists(f);
                        }
                        Files.deleteIfExists(chk);
                    } catch (Exception e) {
                        // the scratch's close got there first
                    }
                }
            });
            cleaner.start();
            s.close();
            cleaner.join();
            s.close(); // whatever the race left, and idempotent
            assertFalse(Files.exists(s.dir()), "round " + round + ": " + s.dir());
        }
    }
}
