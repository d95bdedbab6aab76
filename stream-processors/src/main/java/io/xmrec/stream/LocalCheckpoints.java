package io.xmrec.stream;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Durable state for the holdout job on a local mini-cluster ({@code xmrec holdouts --checkpoint-dir}):
 * checkpoints go to a directory and are kept when the job is cancelled or the process dies, and a
 * new run resumes from the newest complete one there, so a restart keeps every user's holdout and
 * de-duplication state (and the exactly-once sinks abort what the dead run had not committed). On
 * a Flink cluster the same comes from the cluster's configuration (see infra/).
 */
public final class LocalCheckpoints {

    private LocalCheckpoints() {
    }

    /** The configuration of a run keeping its checkpoints under {@code dir} and resuming from the newest there. */
    public static Configuration configure(Path dir, Consumer<String> log) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toAbsolutePath().toUri().toString());
        c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        c.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 3);
        Optional<Path> newest = newest(dir);
        if (newest.isPresent()) {
            c.set(StateRecoveryOptions.SAVEPOINT_PATH, newest.get().toAbsolutePath().toUri().toString());
            log.accept("holdouts: resuming from checkpoint " + newest.get());
        } else {
            log.accept("holdouts: no checkpoint in " + dir + " yet: starting from the committed offsets");
        }
        return c;
    }

    /**
     * Checkpoints on local disk for a run that keeps nothing after it ends (the embedded default):
     * files under a fresh temporary directory, so the state's size meets no wall (Flink's JobManager
     * storage refuses states over 5 MiB: at about three times XMarket Electronics every checkpoint
     * failed and the job restarted for ever), removed by {@link #close}.
     */
    public static final class Scratch implements AutoCloseable {

        private final Path dir;

        public Scratch() {
            try {
                dir = Files.createTempDirectory("xmrec-checkpoints-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for the holdout job's checkpoints: "
                        + e.getMessage(), e);
            }
        }

        /** The configuration of a local environment checkpointing here. */
        public Configuration configuration() {
            Configuration c = new Configuration();
            c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
            c.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 1);
            return c;
        }

        public Path dir() {
            return dir;
        }

        /**
         * Removes the directory. The job may still be cleaning up its last checkpoint as it stops, so files and
         * directories may vanish under the walk (a failed CI run: NoSuchFileException from the walk's iterator):
         * what is gone is skipped, and what cannot be removed yet is tried again a few times, then left to the
         * system's temporary directory.
         */
        @Override
        public void close() {
            for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
                if (attempt > 0) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                try {
                    Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
                            quietlyDelete(file);
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                            return java.nio.file.FileVisitResult.CONTINUE; // gone meanwhile
                        }

                        @Override
                        public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) {
                            quietlyDelete(d);
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                    });
                } catch (IOException | UncheckedIOException e) {
                    // tried again
                }
            }
        }

        private static void quietlyDelete(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // not empty yet (the job still writes as it stops): the next attempt
            }
        }
    }

    /** The newest complete checkpoint under {@code dir} ({@code <job id>/chk-<n>/_metadata}), if any. */
    public static Optional<Path> newest(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> jobs = Files.list(dir)) {
            return jobs.filter(Files::isDirectory).flatMap(job -> {
                try (Stream<Path> chks = Files.list(job)) {
                    return chks.filter(p -> p.getFileName().toString().startsWith("chk-")
                            && Files.isRegularFile(p.resolve("_metadata"))).toList().stream();
                } catch (IOException e) {
                    return Stream.empty();
                }
            }).max(Comparator.comparing(LocalCheckpoints::modified));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static FileTime modified(Path chk) {
        try {
            return Files.getLastModifiedTime(chk.resolve("_metadata"));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
