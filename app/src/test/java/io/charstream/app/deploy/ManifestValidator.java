package io.charstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Validates rendered objects strictly, each against the schema of its apiVersion and kind: built-in
 * kinds with the fabric8 Kubernetes model, Strimzi kinds with Strimzi's API model, the Prometheus
 * Operator's with fabric8's monitoring model, KEDA kinds with the JSON Schema vendored in
 * src/test/resources/deploy/keda. A kind without a schema here is itself a violation: nothing
 * rendered goes unchecked.
 */
final class ManifestValidator {

  /** apiVersion/kind -> typed model. */
  private static final Map<String, Class<?>> MODELS =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("v1/Secret", Secret.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
          Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
          // kafka.strimzi.io/v1: served by Strimzi >= 0.49 and the only version Strimzi 1.x serves.
          Map.entry("kafka.strimzi.io/v1/Kafka", Kafka.class),
          Map.entry("kafka.strimzi.io/v1/KafkaNodePool", KafkaNodePool.class),
          Map.entry("kafka.strimzi.io/v1/KafkaTopic", KafkaTopic.class),
          Map.entry("kafka.strimzi.io/v1/KafkaUser", KafkaUser.class),
          // deploy/monitoring: the Prometheus Operator's kinds.
          Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
          Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class));

  /** apiVersion/kind -> vendored CRD schema (classpath resource). */
  private static final Map<String, String> SCHEMAS =
      Map.of(
          "keda.sh/v1alpha1/ScaledObject", "deploy/keda/scaledobject.schema.json",
          "keda.sh/v1alpha1/TriggerAuthentication",
              "deploy/keda/triggerauthentication.schema.json");

  /**
   * Fields of kafka.strimzi.io/v1beta2 that v1 removed. Strimzi's Java model 0.51 reads both
   * versions, so it would accept them; a v1-only operator (Strimzi 1.x) would not.
   */
  private static final Map<String, List<String>> REMOVED_IN_STRIMZI_V1 =
      Map.of(
          "Kafka", List.of("/spec/zookeeper", "/spec/kafka/replicas", "/spec/kafka/storage"),
          "KafkaUser", List.of("/spec/authorization/acls/*/operation"));

  private static final JsonSchemaFactory SCHEMA_FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  private ManifestValidator() {}

  /** "Kind/name" of a rendered object, for messages. */
  static String describe(JsonNode object) {
    return object.path("kind").asText("?") + "/" + object.path("metadata").path("name").asText("?");
  }

  /** Every violation of {@code object}, each prefixed with the object it belongs to. */
  static List<String> violations(JsonNode object) {
    String key = object.path("apiVersion").asText() + "/" + object.path("kind").asText();
    List<String> found = new ArrayList<>();
    Class<?> model = MODELS.get(key);
    String schema = SCHEMAS.get(key);
    if (model != null) {
      found.addAll(StrictModel.violations(object, model));
      for (String pointer :
          REMOVED_IN_STRIMZI_V1.getOrDefault(object.path("kind").asText(), List.of())) {
        if (key.startsWith("kafka.strimzi.io/v1/") && present(object, pointer)) {
          found.add("$" + pointer.replace('/', '.') + ": removed in kafka.strimzi.io/v1");
        }
      }
    } else if (schema != null) {
      for (ValidationMessage m : schema(schema).validate(object)) {
        found.add(m.getMessage());
      }
    } else {
      found.add("no schema for apiVersion/kind " + key + ": add its model to ManifestValidator");
    }
    if (object.path("metadata").path("name").asText().isEmpty()) {
      found.add("$.metadata.name: required");
    }
    return found.stream().map(v -> describe(object) + " " + v).toList();
  }

  /** Every violation of every object. */
  static List<String> violations(List<? extends JsonNode> objects) {
    List<String> all = new ArrayList<>();
    objects.forEach(o -> all.addAll(violations(o)));
    return all;
  }

  /**
   * Whether {@code pointer} (a JSON pointer where {@code *} matches every array element) exists.
   */
  private static boolean present(JsonNode node, String pointer) {
    int star = pointer.indexOf("/*");
    if (star < 0) {
      return !node.at(pointer).isMissingNode();
    }
    for (JsonNode element : node.at(pointer.substring(0, star))) {
      if (present(element, pointer.substring(star + 2))) {
        return true;
      }
    }
    return false;
  }

  private static JsonSchema schema(String resource) {
    try (InputStream in = ManifestValidator.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new AssertionError("schema resource missing from the test classpath: " + resource);
      }
      return SCHEMA_FACTORY.getSchema(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
