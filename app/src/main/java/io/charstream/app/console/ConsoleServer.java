package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.charstream.app.client.TrainingRequests;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.TrainingRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: routes, the guard in front of every route, and one error shape for every
 * refusal. Runs on the JDK's server with a fixed pool: enough threads for every completion and
 * event feed allowed at once plus a few for the page, the probes and scrapes, so a full house of
 * long requests never starves {@code /livez}.
 */
final class ConsoleServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

  /** Threads beyond the completions and feeds: page loads, state, probes, scrapes. */
  static final int SPARE_THREADS = 8;

  private static final Map<String, String> STATIC =
      Map.of(
          "/", "index.html",
          "/index.html", "index.html",
          "/console.js", "console.js",
          "/console.css", "console.css");

  private static final Set<String> POSTS = Set.of("/v1/completions", "/api/training");

  private final ConsoleConfig config;
  private final Map<String, Object> clientProps;
  private final Topics topics;
  private final ConsoleState state;
  private final RequestGuard guard;
  private final Completions completions;
  private final EventFeed feed;
  private final GeneratorEndpoints generator; // null when no generator runs in this process
  private final HttpServer server;
  private final ExecutorService executor;

  ConsoleServer(
      ConsoleConfig config,
      Map<String, Object> clientProps,
      ConsoleState state,
      Completions completions,
      GeneratorEndpoints generator)
      throws IOException {
    this.config = config;
    this.clientProps = Map.copyOf(clientProps);
    this.topics = config.topics();
    this.state = state;
    this.guard = new RequestGuard(config.authToken());
    this.completions = completions;
    this.feed = new EventFeed(state, config.maxStreams());
    this.generator = generator;
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            config.maxInFlight() + config.maxStreams() + SPARE_THREADS,
            r -> {
              Thread t = new Thread(r, "console-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server = HttpServer.create(new InetSocketAddress(config.bindAddress(), config.port()), 64);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    try {
      ApiException refused = guard.check(path, ex.getRequestHeaders());
      if (refused != null) {
        if (refused.status() == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        throw refused;
      }
      if (POSTS.contains(path)) {
        if (!"POST".equals(method)) throw methodNotAllowed(ex, "POST");
        byte[] body = HttpIo.body(ex, config.maxBodyBytes());
        if (path.equals("/v1/completions")) completions.handle(ex, body);
        else submitTraining(ex, body);
        return;
      }
      if (!"GET".equals(method) && !"HEAD".equals(method)) throw methodNotAllowed(ex, "GET, HEAD");
      if (STATIC.containsKey(path)) {
        staticFile(ex, STATIC.get(path));
      } else if (path.equals("/api/state")) {
        HttpIo.json(ex, 200, state.snapshot());
      } else if (path.equals("/api/events")) {
        feed.handle(ex);
      } else if (path.equals("/v1/models")) {
        HttpIo.json(ex, 200, models());
      } else if (generator == null || !generator.handle(path, ex)) {
        throw new ApiException(404, "not-found", null, "no such endpoint: " + method + " " + path);
      }
    } catch (ApiException e) {
      HttpIo.error(ex, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.close();
    } catch (IOException e) {
      ex.close(); // the client went away
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", method, path, e);
      HttpIo.error(
          ex, new ApiException(500, "internal", null, "internal error: " + e.getClass().getName()));
    }
  }

  private static ApiException methodNotAllowed(HttpExchange ex, String allow) {
    ex.getResponseHeaders().set("Allow", allow);
    return new ApiException(
        405,
        "method-not-allowed",
        null,
        ex.getRequestMethod()
            + " is not allowed on "
            + ex.getRequestURI().getPath()
            + ": use "
            + allow);
  }

  private void submitTraining(HttpExchange ex, byte[] body) throws IOException {
    TrainingRequest request = TrainingSubmit.parse(HttpIo.object(body));
    try {
      TrainingRequests.send(clientProps, topics.trainingRequests(), request);
    } catch (IllegalStateException e) {
      throw new ApiException(503, "kafka-unavailable", null, e.getMessage());
    }
    ObjectNode r = HttpIo.JSON.createObjectNode();
    r.put("jobId", request.jobId());
    r.put("modelId", request.modelId());
    r.put("topic", topics.trainingRequests().name());
    HttpIo.json(ex, 202, r);
  }

  /** OpenAI's model list: each model id (its latest version), then each kept id@version. */
  private ObjectNode models() {
    ObjectNode list = HttpIo.JSON.createObjectNode();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    Map<String, ObjectNode> latest = new java.util.TreeMap<>();
    for (ModelCatalog.Version v : state.versions()) {
      ObjectNode m = latest.computeIfAbsent(v.modelId(), id -> model(id, v.createdAtMs()));
      m.put("latest_version", v.version());
      ObjectNode ver = model(v.name(), v.createdAtMs());
      ver.put("parent", v.modelId());
      ver.put("version", v.version());
      ver.put("epoch", v.epoch());
      ver.put("train_loss", v.metrics().trainLoss());
      if (v.metrics().valLoss() != null) ver.put("val_loss", v.metrics().valLoss());
      data.add(ver);
    }
    int i = 0;
    for (ObjectNode m : latest.values()) data.insert(i++, m);
    return list;
  }

  private static ObjectNode model(String id, long createdAtMs) {
    ObjectNode m = HttpIo.JSON.createObjectNode();
    m.put("id", id);
    m.put("object", "model");
    m.put("created", createdAtMs / 1000);
    m.put("owned_by", "charstream");
    return m;
  }

  private static void staticFile(HttpExchange ex, String name) throws IOException {
    byte[] bytes;
    try (InputStream in = ConsoleServer.class.getResourceAsStream("web/" + name)) {
      if (in == null) throw new IllegalStateException("web/" + name + " is missing from the jar");
      bytes = in.readAllBytes();
    }
    String type =
        name.endsWith(".html")
            ? "text/html; charset=utf-8"
            : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
    // The page loads nothing from elsewhere and runs no inline script.
    ex.getResponseHeaders()
        .set(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
    HttpIo.send(ex, 200, type, bytes);
  }

  /** Ends the event feeds, then stops the server. */
  @Override
  public void close() {
    feed.closeAll();
    server.stop(1);
    executor.shutdownNow();
  }
}
