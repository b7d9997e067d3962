package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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

  /**
   * The PromQL deploy/README.md gives for the common questions (its ```promql block), by line
   * number; comment lines are left out.
   */
  static Map<String, String> readmeQueries() {
    Path readme = Kustomize.repoRoot().resolve("deploy/README.md");
    List<String> lines;
    try {
      lines = Files.readAllLines(readme);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + readme, e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    boolean in = false;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.equals("```promql")) in = true;
      else if (in && l.equals("```")) in = false;
      else if (in && !l.isEmpty() && !l.startsWith("#")) out.put("deploy/README.md:" + (i + 1), l);
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

  /** Metric name -> where the alerts, the dashboard and deploy/README.md's PromQL use it. */
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
    readmeQueries()
        .forEach(
            (where, expr) ->
                PromQl.metricNames(expr)
                    .forEach(m -> out.computeIfAbsent(m, k -> new TreeSet<>()).add(where)));
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
