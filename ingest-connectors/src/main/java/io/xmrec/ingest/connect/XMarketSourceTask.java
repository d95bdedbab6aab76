package io.xmrec.ingest.connect;

import io.xmrec.core.data.DataFormatException;
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.ingest.ReplayEvents;
import io.xmrec.schemas.Topics;
import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads its markets' files from the last committed line on; see {@link XMarketSourceConnector}. */
public final class XMarketSourceTask extends SourceTask {

    static final String PARTITION_FILE = "file";
    static final String OFFSET_LINE = "line";

    /** One market's file being read. */
    private static final class Cursor {
        final String market;
        final Path file;
        final Map<String, String> partition;
        BufferedReader reader;
        long line; // last line read (1-based); 0 before the first

        Cursor(String market, Path file) {
            this.market = market;
            this.file = file;
            this.partition = Map.of(PARTITION_FILE, file.getFileName().toString());
        }
    }

    private final List<Cursor> cursors = new ArrayList<>();
    private AvroSerde serde;
    private int batch;
    private double rate;
    private int next;
    private long started;
    private long emitted;
    private boolean failOnBadLines;
    private long badLines;

    @Override
    public void start(Map<String, String> props) {
        Map<String, Object> c = XMarketSourceConnector.CONFIG.parse(props);
        Path dir = Path.of((String) c.get(XMarketSourceConnector.DATA_DIR));
        serde = new AvroSerde(new RegistryClient((String) c.get(XMarketSourceConnector.REGISTRY_URL)));
        batch = (Integer) c.get(XMarketSourceConnector.BATCH);
        rate = (Double) c.get(XMarketSourceConnector.RATE);
        failOnBadLines = "fail".equals(c.get(XMarketSourceConnector.BAD_LINES));
        for (String m : props.get(XMarketSourceConnector.TASK_MARKETS).split(",")) {
            Cursor cur = new Cursor(m, dir.resolve(XMarketSourceConnector.fileName(m)));
            Map<String, Object> offset = context.offsetStorageReader().offset(cur.partition);
            long resumeAfter = offset == null ? 0 : ((Number) offset.get(OFFSET_LINE)).longValue();
            try {
                cur.reader = Files.newBufferedReader(cur.file, StandardCharsets.UTF_8);
                while (cur.line < resumeAfter && cur.reader.readLine() != null) {
                    cur.line++;
                }
            } catch (IOException e) {
                throw new ConnectException("cannot open " + cur.file + ": " + e.getMessage(), e);
            }
            cursors.add(cur);
        }
        started = System.nanoTime();
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        if (cursors.isEmpty()) {
            Thread.sleep(500); // every file is done: idle until stopped
            return null;
        }
        if (rate > 0) {
            long due = started + (long) (emitted / rate * 1e9);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Math.max(1, wait / 1_000_000));
            }
        }
        Cursor cur = cursors.get(next % cursors.size());
        next++;
        int max = rate > 0 ? Math.max(1, Math.min(batch, (int) Math.ceil(rate / 10))) : batch;
        List<SourceRecord> out = new ArrayList<>(max);
        String topic = Topics.reviews(cur.market);
        try {
            String text;
            while (out.size() < max && (text = cur.reader.readLine()) != null) {
                cur.line++;
                if (text.isBlank() || XMarketReader.isHeader(cur.line, text)) {
                    continue;
                }
                Interaction i;
                try {
                    i = XMarketReader.parse(cur.file, cur.line, text);
                } catch (DataFormatException e) {
                    if (failOnBadLines) {
                        throw new ConnectException(e.getMessage(), e);
                    }
                    out.add(deadLetter(cur, text, e));
                    continue;
                }
                byte[] value = serde.serialize(topic, ReplayEvents.toEvent(cur.market, cur.file.getFileName().toString(), i));
                out.add(new SourceRecord(cur.partition, Map.of(OFFSET_LINE, cur.line), topic, null,
                        Schema.STRING_SCHEMA, i.user(), Schema.BYTES_SCHEMA, value, i.epochDay() * ReplayEvents.MILLIS_PER_DAY));
            }
            if (out.size() < max) {
                cur.reader.close();
                cursors.remove(cur);
            }
        } catch (IOException e) {
            throw new ConnectException("cannot read " + cur.file + " after line " + cur.line + ": " + e.getMessage(), e);
        }
        emitted += out.size();
        return out.isEmpty() ? null : out;
    }

    /** A malformed line as a dead letter: the file as the topic, the line number as the offset, the line as the value. */
    private SourceRecord deadLetter(Cursor cur, String text, DataFormatException e) {
        badLines++;
        io.xmrec.schemas.DeadLetter d = io.xmrec.schemas.DeadLetters.of("file:" + cur.file.getFileName(), 0, cur.line,
                null, text.getBytes(StandardCharsets.UTF_8), "bad-line", e.getMessage(), "connect-source",
                System.currentTimeMillis());
        byte[] value = serde.serialize(Topics.DEADLETTER, d);
        return new SourceRecord(cur.partition, Map.of(OFFSET_LINE, cur.line), Topics.DEADLETTER, null,
                Schema.STRING_SCHEMA, cur.market + ":" + cur.file.getFileName() + ":" + cur.line, Schema.BYTES_SCHEMA, value);
    }

    /** Malformed lines this task sent to the dead-letter topic. */
    long badLines() {
        return badLines;
    }

    @Override
    public void stop() {
        for (Cursor c : cursors) {
            try {
                c.reader.close();
            } catch (IOException e) {
                // closing on stop: nothing left to do
            }
        }
        cursors.clear();
    }

    @Override
    public String version() {
        return new XMarketSourceConnector().version();
    }
}
