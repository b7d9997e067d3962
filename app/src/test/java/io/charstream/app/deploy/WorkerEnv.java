package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment a worker container starts with, as far as the rendered manifests fix it: the data
 * of the ConfigMaps it takes with envFrom, then its env entries (later wins, as in Kubernetes).
 * Values only known in the cluster get stand-ins of the right shape: a pod name for fieldRef
 * metadata.name, the CPU limit for resourceFieldRef, a placeholder for Secret keys.
 */
final class WorkerEnv {

  static final String SECRET_STAND_IN =
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";";

  private WorkerEnv() {}

  static Map<String, String> of(Rendered r, String deployment) {
    JsonNode container = r.container(deployment);
    Map<String, String> env = new TreeMap<>();
    for (JsonNode from : container.path("envFrom")) {
      String name = from.at("/configMapRef/name").asText();
      ObjectNode cm = r.one("ConfigMap", name);
      cm.path("data").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    for (JsonNode e : container.path("env")) {
      env.put(e.path("name").asText(), valueOf(e, container));
    }
    return env;
  }

  private static String valueOf(JsonNode e, JsonNode container) {
    if (e.has("value")) {
      return e.path("value").asText();
    }
    JsonNode from = e.path("valueFrom");
    if (from.has("fieldRef")) {
      String path = from.at("/fieldRef/fieldPath").asText();
      if (!path.equals("metadata.name")) {
        throw new AssertionError(
            "no stand-in for fieldRef " + path + " (env " + e.path("name").asText() + ")");
      }
      return "charstream-generator-5d8f7c9b6-x2x7k";
    }
    if (from.has("resourceFieldRef")) {
      String resource = from.at("/resourceFieldRef/resource").asText();
      String value = container.at("/resources/" + resource.replace('.', '/')).asText();
      if (value.isEmpty()) {
        throw new AssertionError("env " + e.path("name").asText() + " refers to unset " + resource);
      }
      return value;
    }
    if (from.has("secretKeyRef")) {
      return SECRET_STAND_IN;
    }
    throw new AssertionError(
        "env " + e.path("name").asText() + " has no value this test understands: " + e);
  }
}
