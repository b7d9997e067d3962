package io.charstream.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.observability.HealthServer.Check;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The three paths both workers serve, on a real socket: status codes, reasons, methods. */
class HealthServerTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> send(int port, String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAnswerTheirChecksWithTheReasonAndMetricsAreTheScrape() throws Exception {
    AtomicReference<Check> live = new AtomicReference<>(new Check(true, "loop turning"));
    AtomicReference<Check> ready = new AtomicReference<>(new Check(false, "0 partitions"));
    try (HealthServer s =
        new HealthServer(0, () -> "# TYPE up gauge\nup 1\n", live::get, ready::get)) {
      assertThat(s.port()).isPositive();
      HttpResponse<String> l = send(s.port(), "GET", "/livez");
      assertThat(l.statusCode()).isEqualTo(200);
      assertThat(l.body()).isEqualTo("ok: loop turning\n");
      HttpResponse<String> r = send(s.port(), "GET", "/readyz");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("not ok: 0 partitions\n");

      live.set(new Check(false, "loop stalled for 200 s"));
      ready.set(new Check(true, "6 partitions"));
      assertThat(send(s.port(), "GET", "/livez").statusCode()).isEqualTo(503);
      assertThat(send(s.port(), "GET", "/readyz").statusCode()).isEqualTo(200);

      HttpResponse<String> m = send(s.port(), "GET", "/metrics");
      assertThat(m.statusCode()).isEqualTo(200);
      assertThat(m.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
      assertThat(m.body()).isEqualTo("# TYPE up gauge\nup 1\n");
    }
  }

  @Test
  void headAnswersWithoutABodyAndOtherMethodsAreRefused() throws Exception {
    try (HealthServer s =
        new HealthServer(
            0, () -> "x 1\n", () -> new Check(true, "a"), () -> new Check(true, "b"))) {
      HttpResponse<String> head = send(s.port(), "HEAD", "/livez");
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(send(s.port(), "POST", "/readyz").statusCode()).isEqualTo(405);
      assertThat(send(s.port(), "GET", "/nope").statusCode()).isEqualTo(404);
    }
  }
}
