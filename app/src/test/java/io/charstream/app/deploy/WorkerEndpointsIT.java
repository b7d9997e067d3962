package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.generator.GeneratorConfig;
import io.charstream.observability.HealthServer;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each worker's probes and scrape annotations point at endpoints the workers' HTTP server serves:
 * the HealthServer both run is started on a free port and asked for every path the rendered
 * Deployment names, on the port the Deployment and the worker's config agree on. (What the
 * trainer's real checks answer is TrainerMetricsIT's; the generator's, GeneratorServeIT's.)
 */
class WorkerEndpointsIT {

  static List<Arguments> overlaysAndWorkers() {
    List<Arguments> out = new ArrayList<>();
    for (String overlay : Rendered.OVERLAYS) {
      out.add(Arguments.of(overlay, "charstream-generator"));
      out.add(Arguments.of(overlay, "charstream-trainer"));
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("overlaysAndWorkers")
  void probeAndScrapePathsAreServedByTheWorker(String overlay, String worker) throws Exception {
    Rendered r = Rendered.overlay(overlay);
    JsonNode deployment = r.one("Deployment", worker);
    JsonNode container = r.container(worker);

    int containerPort = container.at("/ports/0/containerPort").asInt();
    assertThat(httpPort(r, worker)).as("http.port vs containerPort").isEqualTo(containerPort);
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
      for (Map.Entry<String, String> e : paths.entrySet()) {
        HttpResponse<String> res =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + e.getValue()))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode())
            .as("%s %s -> %s", e.getKey(), e.getValue(), res.body())
            .isEqualTo(200);
      }
    }
  }

  private static int httpPort(Rendered r, String worker) {
    if (worker.equals("charstream-generator")) {
      return ConfigConsistencyIT.generatorConfig(r).env().getInt(GeneratorConfig.HTTP_PORT);
    }
    return TrainerConfig.from(
            EnvConfig.builder(TrainerConfig.DEF).env(WorkerEnv.of(r, worker)).build())
        .httpPort();
  }

  /** The workers' HealthServer on a free port, every check healthy. */
  static HealthServer start() throws Exception {
    Supplier<HealthServer.Check> ok = () -> new HealthServer.Check(true, "test");
    return new HealthServer(0, () -> "# TYPE up gauge\nup 1\n", ok, ok);
  }
}
