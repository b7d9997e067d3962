package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.generator.GeneratorConfig;
import io.charstream.observability.HealthServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The generator's probes and scrape annotations point at endpoints its real HTTP server serves: the
 * workers' HealthServer is started on a free port and asked for every path the rendered Deployment
 * names, on the port the Deployment and the worker's config agree on.
 */
class GeneratorEndpointsIT {

  static final java.util.List<String> OVERLAYS = Rendered.OVERLAYS;

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void probeAndScrapePathsAreServedByTheWorker(String overlay) throws Exception {
    Rendered r = Rendered.overlay(overlay);
    JsonNode deployment = r.one("Deployment", "charstream-generator");
    JsonNode container = r.container("charstream-generator");
    GeneratorConfig config = ConfigConsistencyIT.generatorConfig(r);

    int containerPort = container.at("/ports/0/containerPort").asInt();
    assertThat(config.env().getInt(GeneratorConfig.HTTP_PORT))
        .as("http.port vs containerPort")
        .isEqualTo(containerPort);
    assertThat(deployment.at("/spec/template/metadata/annotations/prometheus.io~1port").asInt())
        .isEqualTo(containerPort);

    Map<String, String> paths = new LinkedHashMap<>();
    for (String probe : new String[] {"startupProbe", "livenessProbe", "readinessProbe"}) {
      paths.put(probe, container.at("/" + probe + "/httpGet/path").asText());
    }
    paths.put(
        "prometheus.io/path",
        deployment.at("/spec/template/metadata/annotations/prometheus.io~1path").asText());

    try (HealthServer server = start()) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      int port = port(server);
      for (Map.Entry<String, String> e : paths.entrySet()) {
        HttpResponse<String> res =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + e.getValue()))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode())
            .as("%s %s -> %s", e.getKey(), e.getValue(), res.body())
            .isEqualTo(200);
      }
    }
  }

  /** The workers' HealthServer on a free port, every check healthy. */
  static HealthServer start() throws Exception {
    Supplier<HealthServer.Check> ok = () -> new HealthServer.Check(true, "test");
    return new HealthServer(0, () -> "# TYPE up gauge\nup 1\n", ok, ok);
  }

  static int port(HealthServer server) {
    return server.port();
  }
}
