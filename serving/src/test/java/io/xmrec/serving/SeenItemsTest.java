package io.xmrec.serving;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeenItemsTest {

    @Test
    void theTableOutlivesABrokerOutOfReachAndStopsWhenClosed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // nothing listens there once closed
        }
        SeenItems seen = new SeenItems("127.0.0.1:" + port, Map.of(),
                new AvroSerde(new RegistryClient("http://127.0.0.1:" + port)), Duration.ofMillis(300));
        try {
            Thread.sleep(1500); // several look-ups of the review topics time out meanwhile
            assertTrue(seen.alive(), "the seen-items table ended when the broker was out of reach");
        } finally {
            seen.close();
        }
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (seen.alive() && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertFalse(seen.alive(), "the table still runs after close");
    }
}
