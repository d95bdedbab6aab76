package io.xmrec.serving.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Server-sent events without holding an HTTP worker: a subscriber's request returns at once and
 * its stream is written by a thread of its own from a small queue, so a slow or stuck client fills
 * only its own queue (and is then dropped) and never blocks the server, the publisher or the other
 * clients. At most {@code maxClients} streams are open; more are refused with 503 and Retry-After.
 */
public final class EventStream implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);
    private static final int QUEUE = 64;
    private static final byte[] CLOSE = new byte[0];

    private final int maxClients;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public EventStream(int maxClients) {
        this.maxClients = maxClients;
    }

    private final class Client implements Runnable {
        final HttpExchange ex;
        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);

        Client(HttpExchange ex) {
            this.ex = ex;
        }

        @Override
        public void run() {
            try (OutputStream os = ex.getResponseBody()) {
                while (!closed) {
                    byte[] b = queue.poll(15, TimeUnit.SECONDS);
                    if (b == CLOSE) {
                        return;
                    }
                    os.write(b == null ? ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8) : b);
                    os.flush();
                }
            } catch (IOException e) {
                LOG.debug("event stream client went away: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                clients.remove(this);
                ex.close();
            }
        }
    }

    /** Open streams. */
    public int clients() {
        return clients.size();
    }

    /** The subscribe endpoint; {@code initial} is sent first (the current state), may be null. */
    public HttpHandler handler(Supplier<String> initial) {
        return ex -> {
            if (closed || clients.size() >= maxClients) {
                ex.getResponseHeaders().set("Retry-After", "10");
                JsonHttp.error(ex, 503, "too many open event streams (" + maxClients + "); try again later");
                ex.close();
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            Client c = new Client(ex);
            String first = initial == null ? null : initial.get();
            if (first != null) {
                c.queue.offer(format("message", first));
            }
            clients.add(c);
            Thread t = new Thread(c, "xmrec-event-stream");
            t.setDaemon(true);
            t.start();
        };
    }

    /** Sends an event to every open stream; a stream whose queue is full is dropped. */
    public void publish(String event, String data) {
        byte[] b = format(event, data);
        for (Client c : clients) {
            if (!c.queue.offer(b)) {
                LOG.info("dropping a slow event stream client ({} events waiting)", QUEUE);
                c.queue.clear();
                c.queue.offer(CLOSE);
            }
        }
    }

    private static byte[] format(String event, String data) {
        StringBuilder s = new StringBuilder();
        if (event != null && !event.equals("message")) {
            s.append("event: ").append(event).append('\n');
        }
        for (String line : data.split("\n", -1)) {
            s.append("data: ").append(line).append('\n');
        }
        return s.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closed = true;
        for (Client c : clients) {
            c.queue.clear();
            c.queue.offer(CLOSE);
        }
    }

    /** For tests and metrics. */
    public Map<String, Integer> describe() {
        return Map.of("clients", clients.size(), "max_clients", maxClients);
    }
}
