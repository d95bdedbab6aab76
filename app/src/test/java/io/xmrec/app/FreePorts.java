package io.xmrec.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free TCP port on this machine for a process the tests or benches start (free when asked: bind it soon).
 * The ports come from below Linux's ephemeral range (32768-60999 by default), where the kernel also picks
 * the local ports of outgoing connections: a port the kernel handed out as free could be taken by one of the
 * many client connections of tests running beside it before the broker started to listen on it ("Address
 * already in use" for a controller's port, BrokerFailureIT, 2026-12-07).
 */
final class FreePorts {

    private static final int FROM = 20_000;
    private static final int TO = 32_000;
    /** Ports handed out by this JVM: not handed out twice (a process may not have bound one yet). */
    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    static int next() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = rnd.nextInt(FROM, TO);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // in use: try another
            }
        }
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port: " + e.getMessage(), e);
        }
    }
}
