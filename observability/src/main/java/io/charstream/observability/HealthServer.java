package io.charstream.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A worker's HTTP endpoints on the JDK's built-in server: {@code /metrics} (Prometheus text
 * format), {@code /livez} and {@code /readyz} (200 or 503; what each means is the worker's: see
 * docs/generator.md and docs/trainer.md). Each probe answers a one-line reason, so a failing probe
 * says why in the pod's events. Both workers serve the same three paths, so one probe and scrape
 * configuration fits both.
 */
public final class HealthServer implements AutoCloseable {

  /** A probe's answer: healthy or not, and why. */
  public record Check(boolean ok, String reason) {}

  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * Starts serving on {@code port} (0 = any free port: see {@link #port()}).
   *
   * @throws IOException when the port cannot be bound (taken, or not allowed)
   */
  public HealthServer(
      int port, Supplier<String> metrics, Supplier<Check> live, Supplier<Check> ready)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    // One daemon thread: probes and scrapes are cheap, and must never keep the JVM alive.
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "charstream-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
    server.createContext("/livez", ex -> probe(ex, live.get()));
    server.createContext("/readyz", ex -> probe(ex, ready.get()));
    server.start();
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void probe(HttpExchange ex, Check c) throws IOException {
    respond(
        ex,
        c.ok() ? 200 : 503,
        "text/plain; charset=utf-8",
        (c.ok() ? "ok: " : "not ok: ") + c.reason() + "\n");
  }

  private static void respond(HttpExchange ex, int status, String type, String body)
      throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      boolean head = "HEAD".equals(ex.getRequestMethod());
      ex.sendResponseHeaders(status, head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
