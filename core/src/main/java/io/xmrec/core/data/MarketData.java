package io.xmrec.core.data;

import java.nio.file.Path;
import java.util.List;

/**
 * The interactions of one market as read from its file, in file order.
 *
 * @param market       market code, e.g. "de"
 * @param source       the file read
 * @param sha256       hex SHA-256 of the file's bytes (provenance)
 * @param interactions the valid lines, in file order
 * @param skippedLines how many bad lines were skipped (0 unless skipping was asked for)
 */
public record MarketData(String market, Path source, String sha256, List<Interaction> interactions,
                         long skippedLines) {
}
