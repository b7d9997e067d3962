package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** deploy/monitoring as files: the PrometheusRule, the Grafana dashboard and their queries. */
final class Monitoring {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private Monitoring() {}

  static Path dir() {
    return Kustomize.repoRoot().resolve("deploy/monitoring");
  }

  static JsonNode rule() {
    return read(YAML, dir().resolve("prometheusrule.yaml"));
  }

  static Path dashboardFile() {
    return dir().resolve("grafana/charstream.json");
  }

  static JsonNode dashboard() {
    return read(JSON, dashboardFile());
  }

  /** Every alert's expression, by alert name. */
  static Map<String, String> alerts() {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode group : rule().at("/spec/groups")) {
      for (JsonNode r : group.path("rules")) {
        out.put(r.path("alert").asText(r.path("record").asText()), r.path("expr").asText());
      }
    }
    return out;
  }

  /** Every dashboard query, by where it is ("Panel title / A"). */
  static Map<String, String> dashboardQueries() {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode panel : dashboard().path("panels")) {
      for (JsonNode t : panel.path("targets")) {
        out.put(
            panel.path("title").asText() + " / " + t.path("refId").asText(),
            t.path("expr").asText());
      }
    }
    return out;
  }

  /** The template variables' queries, by variable name (Grafana's label_values(...)). */
  static Map<String, String> templateQueries() {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode v : dashboard().at("/templating/list")) {
      if (v.path("type").asText().equals("query")) {
        out.put(v.path("name").asText(), v.at("/query/query").asText(v.path("query").asText()));
      }
    }
    return out;
  }

  /** Metric name -> where the alerts and the dashboard use it. */
  static Map<String, Set<String>> metricsUsed() {
    Map<String, Set<String>> out = new TreeMap<>();
    alerts()
        .forEach(
            (name, expr) ->
                PromQl.metricNames(expr)
                    .forEach(
                        m -> out.computeIfAbsent(m, k -> new TreeSet<>()).add("alert " + name)));
    dashboardQueries()
        .forEach(
            (where, expr) ->
                PromQl.metricNames(expr)
                    .forEach(
                        m -> out.computeIfAbsent(m, k -> new TreeSet<>()).add("panel " + where)));
    templateQueries()
        .forEach(
            (name, q) ->
                PromQl.templateMetricNames(q)
                    .forEach(
                        m ->
                            out.computeIfAbsent(m, k -> new TreeSet<>()).add("variable $" + name)));
    return out;
  }

  private static JsonNode read(ObjectMapper mapper, Path file) {
    try {
      return mapper.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
