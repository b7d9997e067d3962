package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The objects one overlay renders to, with lookups by kind and name. */
record Rendered(String overlay, List<ObjectNode> objects) {

  /** The overlays an operator applies; each is rendered once per test JVM. */
  static final List<String> OVERLAYS = List.of("dev", "prod", "prod-hpa", "prod-monitoring");

  private static final Map<String, Rendered> CACHE = new ConcurrentHashMap<>();

  Rendered {
    objects = List.copyOf(objects);
  }

  /** deploy/k8s/overlays/{@code overlay}, rendered by kubectl kustomize. */
  static Rendered overlay(String overlay) {
    return CACHE.computeIfAbsent(
        overlay, o -> new Rendered(o, Kustomize.render(Kustomize.k8s("overlays/" + o))));
  }

  List<ObjectNode> all(String kind) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
  }

  ObjectNode one(String kind, String name) {
    List<ObjectNode> found =
        all(kind).stream()
            .filter(o -> o.path("metadata").path("name").asText().equals(name))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError(
          overlay + ": expected one " + kind + "/" + name + ", found " + found.size());
    }
    return found.get(0);
  }

  boolean has(String kind, String name) {
    return all(kind).stream().anyMatch(o -> o.path("metadata").path("name").asText().equals(name));
  }

  /** The single container of a Deployment's pod template. */
  JsonNode container(String deployment) {
    JsonNode containers = one("Deployment", deployment).at("/spec/template/spec/containers");
    if (containers.size() != 1) {
      throw new AssertionError(
          overlay + ": " + deployment + " should have one container, has " + containers.size());
    }
    return containers.get(0);
  }
}
