package io.charstream.app.console;

import com.sun.net.httpserver.HttpExchange;
import io.charstream.generator.GeneratorService;
import io.charstream.observability.HealthServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Under {@code charstream up} the console owns the HTTP port, so the generator in the same process
 * runs without its own server and its {@code /metrics}, {@code /livez} and {@code /readyz} are
 * answered here, from the same registry and checks, with the same bodies.
 */
final class GeneratorEndpoints {
  private final GeneratorService generator;

  GeneratorEndpoints(GeneratorService generator) {
    this.generator = generator;
  }

  /** True when {@code path} is one of the generator's and was answered. */
  boolean handle(String path, HttpExchange ex) throws IOException {
    switch (path) {
      case "/metrics" -> {
        String text = generator.meters() instanceof PrometheusMeterRegistry p ? p.scrape() : "";
        HttpIo.send(
            ex,
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            text.getBytes(StandardCharsets.UTF_8));
      }
      case "/livez" -> probe(ex, generator.liveness());
      case "/readyz" -> probe(ex, generator.readiness());
      default -> {
        return false;
      }
    }
    return true;
  }

  private static void probe(HttpExchange ex, HealthServer.Check c) throws IOException {
    HttpIo.send(
        ex,
        c.ok() ? 200 : 503,
        "text/plain; charset=utf-8",
        ((c.ok() ? "ok: " : "not ok: ") + c.reason() + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
