package io.xmrec.schemas;

import io.xmrec.schemas.registry.RegistryClient;
import io.xmrec.schemas.registry.RegistryException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks, at start-up, that the broker and the schema registry answer, so that a wrong address is
 * one line naming it within seconds rather than a client retrying silently for a minute.
 */
public final class Reachability {

    /** How long a start-up check waits. */
    public static final Duration WITHIN = Duration.ofSeconds(10);

    private Reachability() {
    }

    /** Throws {@link IllegalStateException} unless a broker of {@code bootstrap} answers within {@code within}. */
    public static void broker(String bootstrap, Map<String, Object> clientProps, Duration within) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int ms = (int) within.toMillis();
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        String hint = clientProps.containsKey("security.protocol")
                ? "check the address, that the broker runs, and the security settings of --kafka-config"
                : "check --bootstrap (XMREC_BOOTSTRAP) and that the broker runs and advertises a listener reachable from here";
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(within.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no Kafka broker answered at " + bootstrap + " within " + within.toSeconds()
                    + " s: " + hint);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot reach the Kafka broker at " + bootstrap + ": " + message(e.getCause())
                    + "; " + hint);
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot reach the Kafka broker at " + bootstrap + ": " + message(e) + "; " + hint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the Kafka broker at " + bootstrap);
        }
    }

    /** Throws {@link IllegalStateException} unless the schema registry at {@code url} lists its subjects. */
    public static void registry(String url, Duration within) {
        try {
            new RegistryClient(url, within).subjects();
        } catch (RegistryException e) {
            throw new IllegalStateException(e.getMessage() + "; check --registry (XMREC_REGISTRY) and that the registry runs");
        }
    }

    private static String message(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
