package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/monitoring, offline like the rest of deploy/: it renders and validates strictly (alone and
 * in the prod-monitoring overlay), the PodMonitor scrapes both workers where they serve /metrics,
 * promtool accepts the alert rules and every dashboard query and passes the alerts' unit tests
 * (deploy/monitoring/tests), and the alerts and panels are the ones an operator needs. That the
 * queries name only metrics the workers serve is MonitoredMetricsIT's, on running workers.
 */
class MonitoringIT {
  static final List<String> ALERTS =
      List.of(
          "CharstreamGeneratorLagGrowing",
          "CharstreamGeneratorErrorRatio",
          "CharstreamNoReadyGenerator",
          "CharstreamTrainingJobFailed",
          "CharstreamTrainerNotReady",
          "CharstreamCheckpointOverdue");

  @Test
  void rendersAPodMonitorTheRulesAndTheDashboardThatValidateStrictly() throws Exception {
    List<ObjectNode> objects = Kustomize.render(Monitoring.dir());
    Map<String, Long> kinds =
        objects.stream()
            .collect(
                Collectors.groupingBy(
                    o -> o.path("kind").asText(), TreeMap::new, Collectors.counting()));
    assertThat(kinds).isEqualTo(Map.of("ConfigMap", 1L, "PodMonitor", 1L, "PrometheusRule", 1L));
    assertThat(ManifestValidator.violations(objects)).isEmpty();
    for (ObjectNode o : objects) {
      assertThat(o.at("/metadata/namespace").asText()).isEqualTo("charstream");
    }
    ObjectNode cm =
        objects.stream()
            .filter(o -> o.path("kind").asText().equals("ConfigMap"))
            .findFirst()
            .orElseThrow();
    assertThat(cm.at("/metadata/name").asText()).isEqualTo("charstream-dashboard");
    assertThat(cm.at("/metadata/labels/grafana_dashboard").asText())
        .as("the label Grafana's dashboard sidecar looks for")
        .isEqualTo("1");
    assertThat(new ObjectMapper().readTree(cm.at("/data/charstream.json").asText()))
        .as("the ConfigMap carries the dashboard file")
        .isEqualTo(Monitoring.dashboard());

    Rendered r = Rendered.overlay("prod-monitoring");
    assertThat(r.has("PodMonitor", "charstream-workers")).isTrue();
    assertThat(r.has("PrometheusRule", "charstream")).isTrue();
    assertThat(Rendered.overlay("prod").all("PodMonitor"))
        .as("prod applies where the operator's CRDs are missing")
        .isEmpty();
  }

  @Test
  void thePodMonitorScrapesBothWorkersWhereTheyServeMetrics() {
    Rendered r = Rendered.overlay("prod-monitoring");
    JsonNode pm = r.one("PodMonitor", "charstream-workers").path("spec");
    JsonNode endpoint = pm.at("/podMetricsEndpoints/0");
    for (String d : List.of("charstream-generator", "charstream-trainer")) {
      JsonNode template = r.one("Deployment", d).at("/spec/template");
      pm.at("/selector/matchLabels")
          .fields()
          .forEachRemaining(
              e ->
                  assertThat(template.at("/metadata/labels").path(e.getKey()).asText())
                      .as("%s pods carry %s", d, e.getKey())
                      .isEqualTo(e.getValue().asText()));
      Set<String> ports = new HashSet<>();
      r.container(d).path("ports").forEach(p -> ports.add(p.path("name").asText()));
      assertThat(ports).as(d + " ports").contains(endpoint.path("port").asText());
      assertThat(endpoint.path("path").asText())
          .isEqualTo(template.at("/metadata/annotations/prometheus.io~1path").asText());
    }
    // Strimzi's pods in the dev overlay are not charstream's.
    for (ObjectNode kafka : Rendered.overlay("dev").all("Kafka")) {
      assertThat(kafka.at("/metadata/labels/app.kubernetes.io~1name").asText())
          .isNotEqualTo("charstream");
    }
  }

  @Test
  void promtoolAcceptsTheRulesAndTheirUnitTestsPass(@TempDir Path dir) throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    // promtool reads plain rule files: the PrometheusRule's spec is one.
    yaml.writeValue(dir.resolve("rules.yaml").toFile(), Monitoring.rule().path("spec"));
    Files.copy(Monitoring.dir().resolve("tests/alerts.test.yaml"), dir.resolve("alerts.test.yaml"));
    assertThat(Promtool.run(dir, "check", "rules", "rules.yaml"))
        .contains("SUCCESS: " + ALERTS.size() + " rules found");
    assertThat(Promtool.run(dir, "test", "rules", "alerts.test.yaml")).contains("SUCCESS");
    // Each alert has a unit test that expects it to fire.
    String tests = Files.readString(dir.resolve("alerts.test.yaml"));
    for (String alert : ALERTS) {
      assertThat(tests).as("a unit test of " + alert).contains("alertname: " + alert);
    }
  }

  @Test
  void promtoolAcceptsEveryDashboardQueryAndTheReadmesPromQl(@TempDir Path dir) throws Exception {
    // As recording rules, with Grafana's variables given values.
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    ObjectNode file = yaml.createObjectNode();
    ObjectNode group = file.putArray("groups").addObject().put("name", "dashboard");
    ArrayNode rules = group.putArray("rules");
    int i = 0;
    List<String> queries = new ArrayList<>(Monitoring.dashboardQueries().values());
    queries.addAll(Monitoring.readmeQueries().values());
    assertThat(Monitoring.readmeQueries()).as("deploy/README.md's PromQL").hasSizeGreaterThan(10);
    for (String expr : queries) {
      rules
          .addObject()
          .put("record", "dashboard:query_" + i++)
          .put("expr", expr.replace("$__rate_interval", "5m").replace("$namespace", ".*"));
    }
    yaml.writeValue(dir.resolve("dashboard.yaml").toFile(), file);
    assertThat(Promtool.run(dir, "check", "rules", "dashboard.yaml"))
        .contains("SUCCESS: " + i + " rules found");
  }

  @Test
  void theAlertsAreTheOnesAnOperatorNeedsAndSayWhatToDo() {
    assertThat(Monitoring.alerts().keySet()).containsExactlyInAnyOrderElementsOf(ALERTS);
    for (JsonNode group : Monitoring.rule().at("/spec/groups")) {
      for (JsonNode rule : group.path("rules")) {
        String name = rule.path("alert").asText();
        assertThat(rule.at("/labels/severity").asText()).as(name).isIn("warning", "critical");
        assertThat(rule.at("/annotations/summary").asText()).as(name).isNotBlank();
        assertThat(rule.at("/annotations/description").asText()).as(name).hasSizeGreaterThan(40);
      }
    }
  }

  @Test
  void theDashboardDrawsWhatAnOperatorLooksAtFirst() {
    JsonNode d = Monitoring.dashboard();
    assertThat(d.path("uid").asText()).isEqualTo("charstream-workers");
    List<String> titles = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : d.path("panels")) {
      titles.add(p.path("title").asText());
      assertThat(ids.add(p.path("id").asInt())).as("unique panel id %s", p.path("id")).isTrue();
      JsonNode grid = p.path("gridPos");
      assertThat(grid.path("x").asInt() + grid.path("w").asInt())
          .as(p.path("title").asText())
          .isLessThanOrEqualTo(24);
      if (!p.path("type").asText().equals("row")) {
        assertThat(p.at("/datasource/uid").asText())
            .as(p.path("title").asText())
            .isEqualTo("${datasource}");
        assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
      }
    }
    assertThat(titles)
        .contains(
            "Requests/s by outcome",
            "Generated characters/s",
            "Latency p50 / p99",
            "Time to first character p50 / p99",
            "Batch occupancy",
            "Consumer lag by partition",
            "Errors by kind",
            "Training loss by model",
            "Job states",
            "Resident memory");
  }
}
