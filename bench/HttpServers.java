// The HTTP server decision (bench/http-servers.sh): serves a saved model's top-k recommendations on 127.0.0.1:PORT
// with the JDK's HTTP server (the product's RecommendationServer, as xmrec serve runs it) or with Jetty 12's own
// server (a native handler calling the same RecommendationServer.recommendations, so both do the same work per
// request apart from HTTP), until stdin closes. Also /ping: a fixed small JSON body, the servers' own cost.
//   java -cp app/target/xmrec.jar:JETTY_JARS bench/HttpServers.java MODEL_DIR MARKET_FILE MARKET PORT jdk|jetty
// MODEL_DIR is a model saved by `xmrec offline --save-models`; MARKET_FILE the market's file (what each user reviewed
// is left out, as in production). Prints "ready" once it listens.
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xmrec.core.data.Interaction;
import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.XMarketReader;
import io.xmrec.core.dataset.IdVocabulary;
import io.xmrec.core.net.Net;
import io.xmrec.core.net.NetFile;
import io.xmrec.serving.ModelMeta;
import io.xmrec.serving.ModelSource;
import io.xmrec.serving.RecommendationServer;
import io.xmrec.serving.SeenSource;
import io.xmrec.serving.ServedModel;
import io.xmrec.serving.http.JsonHttp;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

public class HttpServers {

    static final byte[] PING = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path file = Path.of(args[1]);
        String market = args[2];
        int port = Integer.parseInt(args[3]);
        String engine = args[4];
        Net net = NetFile.read(dir.resolve("tensors.bin"));
        List<String> userIds = new ArrayList<>();
        for (String k : Files.readAllLines(dir.resolve("users.txt"))) {
            userIds.add(k.substring(k.indexOf('/') + 1));
        }
        IdVocabulary users = IdVocabulary.ofRows(userIds);
        IdVocabulary items = IdVocabulary.ofRows(Files.readAllLines(dir.resolve("items.txt")));
        MarketData md = XMarketReader.strict().read(market, file);
        Map<String, Set<String>> seen = new HashMap<>();
        Set<String> sold = new HashSet<>();
        for (Interaction x : md.interactions()) {
            seen.computeIfAbsent(x.user(), u -> new HashSet<>()).add(x.item());
            sold.add(x.item());
        }
        int[] catalogue = sold.stream().mapToInt(items::indexOf).filter(r -> r >= 0).sorted().toArray();
        ServedModel m = new ServedModel(ModelMeta.builder(market, 1, 1).createdAtMillis(System.currentTimeMillis())
                .build(), net, users, items, catalogue, new int[0]);
        Map<String, Set<String>> seenByKey = new HashMap<>();
        seen.forEach((u, s) -> seenByKey.put(market + "|" + u, s));
        ModelSource source = ModelSource.of(Map.of(market, m));
        SeenSource seenSource = SeenSource.of(seenByKey, Map.of());
        // the product's server; with jetty it listens on the next port, idle, and lends its request logic
        RecommendationServer rs = new RecommendationServer(source, seenSource, () -> true, "127.0.0.1",
                engine.equals("jdk") ? port : port + 1);
        int workers = RecommendationServer.WORKERS;
        rs.route("/ping", ex -> {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, PING.length);
            try (var os = ex.getResponseBody()) {
                os.write(PING);
            }
        });
        Server jetty = null;
        if (engine.equals("jetty")) {
            QueuedThreadPool pool = new QueuedThreadPool(Math.max(8, workers + 4), workers);
            pool.setName("jetty");
            jetty = new Server(pool);
            ServerConnector c = new ServerConnector(jetty);
            c.setHost("127.0.0.1");
            c.setPort(port);
            c.setAcceptQueueSize(64);
            jetty.addConnector(c);
            jetty.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    String path = Request.getPathInContext(request);
                    byte[] out;
                    int status = 200;
                    if (path.equals("/ping")) {
                        out = PING;
                    } else if (path.startsWith("/recommendations/")) {
                        String[] p = path.substring("/recommendations/".length()).split("/");
                        Map<String, String> q = new HashMap<>();
                        Fields f = Request.extractQueryParameters(request);
                        f.forEach(x -> q.put(x.getName(), x.getValue()));
                        try {
                            ObjectNode o = rs.recommendations(p[0], p[1], q);
                            out = JsonHttp.JSON.writeValueAsBytes(o);
                        } catch (JsonHttp.Refused r) {
                            status = r.status();
                            out = ("{\"error\":\"" + r.getMessage().replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
                        } catch (Exception e) {
                            status = 500;
                            out = "{}".getBytes(StandardCharsets.UTF_8);
                        }
                    } else {
                        status = 404;
                        out = "{}".getBytes(StandardCharsets.UTF_8);
                    }
                    response.setStatus(status);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
                    response.write(true, ByteBuffer.wrap(out), callback);
                    return true;
                }
            });
            jetty.start();
        }
        System.out.println("ready " + engine + " on 127.0.0.1:" + port + " (" + catalogue.length + " items sold, "
                + users.size() + " users)");
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the driver closes stdin
        }
        if (jetty != null) {
            jetty.stop();
        }
        rs.close();
    }
}
