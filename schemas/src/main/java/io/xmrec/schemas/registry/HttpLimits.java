package io.xmrec.schemas.registry;

/**
 * Settings of the JDK's HTTP server, which xmrec's servers (registry, recommendations, dashboard)
 * use: a request (headers and body) that takes longer than 10 s, a response that takes longer
 * than 30 s, and a keep-alive connection idle for 30 s are closed, so slow or idle clients cannot
 * hold threads for ever; and TCP_NODELAY on its connections: the server writes a response's
 * headers and body separately, and with Nagle's algorithm the body waited for the client's
 * delayed acknowledgement of the headers, 40 ms on Linux, on every keep-alive request
 * (bench/results/serving.md). Set as system properties unless given already; they must be set
 * before the first server starts.
 */
public final class HttpLimits {

    static {
        setIfAbsent("sun.net.httpserver.maxReqTime", "10");
        setIfAbsent("sun.net.httpserver.maxRspTime", "30");
        setIfAbsent("sun.net.httpserver.idleInterval", "30");
        setIfAbsent("sun.net.httpserver.maxIdleConnections", "200");
        setIfAbsent("sun.net.httpserver.nodelay", "true");
    }

    private HttpLimits() {
    }

    /** Makes sure the limits are in place (the class's initialiser sets them). */
    public static void apply() {
        // loading the class is enough
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
