package io.xmrec.ingest.connect;

import io.xmrec.schemas.Topics;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kafka Connect source connector for XMarket 5-core files: each market's file goes, line by line
 * in file order, to {@code xmrec.reviews.<market>} as a {@code ReviewEvent} in the Confluent wire
 * format (serialised by the task with xmrec's registry client; configure the worker or connector
 * with {@code value.converter=org.apache.kafka.connect.converters.ByteArrayConverter} and
 * {@code key.converter=org.apache.kafka.connect.storage.StringConverter}). The source partition is
 * the file, the source offset its line number, so a restarted worker resumes after the last
 * committed line. A malformed line goes to {@code xmrec.deadletter} (stage {@code connect-source},
 * offset = the line number, the raw line as the value) unless {@code bad.lines=fail}: a poll()
 * exception would fail the task on every restart, as errors.tolerance does not cover it. The event id ({@code market:file:line}) makes a re-delivered line (Connect is
 * at-least-once after a crash) de-duplicable downstream. Markets are spread over the tasks.
 */
public final class XMarketSourceConnector extends SourceConnector {

    public static final String DATA_DIR = "data.dir";
    public static final String MARKETS = "markets";
    public static final String REGISTRY_URL = "registry.url";
    public static final String BATCH = "batch.size";
    public static final String RATE = "events.per.second";
    public static final String BAD_LINES = "bad.lines";
    static final String TASK_MARKETS = "task.markets";

    static final ConfigDef CONFIG = new ConfigDef()
            .define(DATA_DIR, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                    "Directory with the {market}_5core.txt files.")
            .define(MARKETS, ConfigDef.Type.LIST, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                    "Markets to read, e.g. de,uk.")
            .define(REGISTRY_URL, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                    "Schema registry URL (Confluent REST API).")
            .define(BATCH, ConfigDef.Type.INT, 500, ConfigDef.Range.atLeast(1), ConfigDef.Importance.LOW,
                    "Lines per poll.")
            .define(RATE, ConfigDef.Type.DOUBLE, 0.0, ConfigDef.Range.atLeast(0), ConfigDef.Importance.LOW,
                    "Events per second per task, 0 = as fast as possible.")
            .define(BAD_LINES, ConfigDef.Type.STRING, "deadletter", ConfigDef.ValidString.in("deadletter", "fail"),
                    ConfigDef.Importance.MEDIUM, "A malformed line goes to xmrec.deadletter with file, line and reason "
                            + "and the task goes on (deadletter), or fails the task (fail).");

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        Map<String, Object> parsed = CONFIG.parse(props);
        Path dir = Path.of((String) parsed.get(DATA_DIR));
        @SuppressWarnings("unchecked")
        List<String> markets = (List<String>) parsed.get(MARKETS);
        if (markets.isEmpty()) {
            throw new ConfigException(MARKETS, "", "no market given");
        }
        for (String m : markets) {
            Topics.reviews(m); // validates the market code
            Path f = dir.resolve(fileName(m));
            if (!Files.isRegularFile(f)) {
                throw new ConfigException(DATA_DIR, dir.toString(), "no file " + f.getFileName() + " for market " + m);
            }
        }
        this.props = new HashMap<>(props);
    }

    static String fileName(String market) {
        return market + "_5core.txt";
    }

    @Override
    public Class<? extends Task> taskClass() {
        return XMarketSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<String> markets = Arrays.stream(props.get(MARKETS).split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        int n = Math.max(1, Math.min(maxTasks, markets.size()));
        List<List<String>> groups = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < markets.size(); i++) {
            groups.get(i % n).add(markets.get(i));
        }
        List<Map<String, String>> out = new ArrayList<>();
        for (List<String> g : groups) {
            Map<String, String> c = new HashMap<>(props);
            c.put(TASK_MARKETS, String.join(",", g));
            out.add(c);
        }
        return out;
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        // offsets are file positions, so the worker's exactly-once source support (distributed mode) applies
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public String version() {
        String v = XMarketSourceConnector.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
