package io.xmrec.serving;

import io.xmrec.schemas.registry.AvroSerde;
import io.xmrec.schemas.registry.RegistryClient;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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

    @Test
    void eachUsersItemsAreKeptOnceWithOneStringPerItemOfAMarket() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (SeenItems seen = new SeenItems("127.0.0.1:" + port, Map.of(),
                new AvroSerde(new RegistryClient("http://127.0.0.1:" + port)), Duration.ofMillis(300))) {
            seen.add("us", "u1", "i1");
            seen.add("us", "u1", new String("i2"));
            seen.add("us", "u1", new String("i1")); // a re-review: once
            seen.add("us", "u2", new String("i2"));
            seen.add("es-b2b", "u1", "i3");
            assertEquals(java.util.Set.of("i1", "i2"), seen.items("us", "u1"));
            assertEquals(java.util.Set.of("i2"), seen.items("us", "u2"));
            assertEquals(java.util.Set.of("i3"), seen.items("es-b2b", "u1"));
            assertEquals(java.util.Set.of(), seen.items("us", "nobody"));
            assertEquals(java.util.Set.of("i1", "i2"), seen.catalogue("us"));
            assertSame(seen.items("us", "u1").stream().filter("i2"::equals).findFirst().orElseThrow(),
                    seen.items("us", "u2").iterator().next(), "two users' i2 are one String");
            assertEquals(5, seen.counts()[0]);
        }
    }
}
