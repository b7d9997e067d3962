package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The validation is only worth something if it fails: each case breaks one field of one rendered
 * object (a typo'd name, a wrong type, a value outside an enum) and expects a violation that names
 * it; the last two break the manifests on disk and expect the render or the validation to fail.
 */
class BrokenManifestIT {

  /** One deliberate breakage: set {@code pointer} of {@code kind/name} to {@code value}. */
  record Breakage(
      String overlay, String kind, String name, String pointer, JsonNode value, String expected) {
    @Override
    public String toString() {
      return kind + "/" + name + " " + pointer + " = " + value;
    }
  }

  static Stream<Breakage> breakages() {
    String gen = "charstream-generator";
    String c0 = "/spec/template/spec/containers/0";
    return Stream.of(
        new Breakage("dev", "Deployment", gen, c0 + "/livenessprobe", obj(), "livenessprobe"),
        new Breakage("dev", "Deployment", gen, "/spec/replicas", text("2"), "replicas"),
        new Breakage(
            "dev",
            "Deployment",
            gen,
            "/spec/template/spec/terminationGracePeriodSecond",
            new IntNode(60),
            "terminationGracePeriodSecond"),
        new Breakage(
            "dev", "Deployment", gen, c0 + "/ports/0/containerPort", text("8080"), "containerPort"),
        new Breakage(
            "dev",
            "Deployment",
            gen,
            c0 + "/securityContext/readOnlyRootFilesystem",
            text("true"),
            "readOnlyRootFilesystem"),
        new Breakage(
            "prod",
            "Deployment",
            "charstream-trainer",
            "/spec/strategy/type",
            new IntNode(1),
            "type"),
        new Breakage("dev", "Service", gen, "/spec/ports/0/port", BooleanNode.TRUE, "port"),
        new Breakage(
            "dev",
            "PodDisruptionBudget",
            gen,
            "/spec/maxUnavailabe",
            new IntNode(1),
            "maxUnavailabe"),
        new Breakage(
            "dev",
            "NetworkPolicy",
            "charstream-workers",
            "/spec/egress/0/ports/0/protocl",
            text("UDP"),
            "protocl"),
        new Breakage(
            "dev", "Namespace", "charstream", "/metadata/labels/team", new IntNode(7), "team"),
        new Breakage(
            "prod-hpa",
            "HorizontalPodAutoscaler",
            gen,
            "/spec/maxReplicas",
            new DoubleNode(12.5),
            "maxReplicas"),
        new Breakage(
            "prod-hpa",
            "HorizontalPodAutoscaler",
            gen,
            "/spec/metrics/0/resource/target/averageUtilisation",
            new IntNode(70),
            "averageUtilisation"),
        new Breakage(
            "dev",
            "KafkaTopic",
            "charstream.generate-requests",
            "/spec/partitions",
            text("12"),
            "partitions"),
        new Breakage(
            "dev",
            "KafkaTopic",
            "charstream.checkpoints",
            "/spec/partitionz",
            new IntNode(6),
            "partitionz"),
        new Breakage(
            "dev",
            "KafkaUser",
            gen,
            "/spec/authorization/acls/0/operations/0",
            text("Reed"),
            "Reed"),
        new Breakage(
            "dev",
            "KafkaUser",
            gen,
            "/spec/authorization/acls/0/resource/patern",
            text("literal"),
            "patern"),
        new Breakage(
            "dev",
            "KafkaUser",
            gen,
            "/spec/authentication/type",
            text("scram-sha-1"),
            "scram-sha-1"),
        new Breakage(
            "dev", "Kafka", "charstream", "/spec/kafka/listeners/0/port", text("9092"), "port"),
        new Breakage("dev", "KafkaNodePool", "dual-role", "/spec/rolez", obj(), "rolez"),
        new Breakage(
            "dev",
            "Kafka",
            "charstream",
            "/spec/kafka/replicas",
            new IntNode(3),
            "removed in kafka.strimzi.io/v1"),
        new Breakage(
            "dev",
            "KafkaUser",
            gen,
            "/spec/authorization/acls/0/operation",
            text("Read"),
            "removed in kafka.strimzi.io/v1"),
        new Breakage(
            "prod", "ScaledObject", gen, "/spec/maxReplicaCount", text("12"), "maxReplicaCount"),
        new Breakage(
            "prod", "ScaledObject", gen, "/spec/maxReplicas", new IntNode(12), "maxReplicas"),
        new Breakage(
            "prod",
            "ScaledObject",
            gen,
            "/spec/triggers/0/metadata/allowIdleConsumers",
            BooleanNode.FALSE,
            "allowIdleConsumers"),
        new Breakage(
            "prod",
            "ScaledObject",
            gen,
            "/spec/triggers/0/metadata/lagTreshold",
            text("124"),
            "lagTreshold"),
        new Breakage(
            "prod", "ScaledObject", gen, "/spec/triggers/0/metadata/tls", text("on"), "tls"),
        new Breakage(
            "prod",
            "TriggerAuthentication",
            "charstream-keda",
            "/spec/secretTargetRef/0/secret",
            text("x"),
            "secret"));
  }

  @ParameterizedTest
  @MethodSource("breakages")
  void brokenFieldIsCaughtAndNamed(Breakage b) {
    ObjectNode object = Rendered.overlay(b.overlay()).one(b.kind(), b.name()).deepCopy();
    assertThat(ManifestValidator.violations(object)).as("the intact object is valid").isEmpty();

    set(object, b.pointer(), b.value());

    List<String> violations = ManifestValidator.violations(object);
    assertThat(violations).as("violations after setting %s", b).isNotEmpty();
    assertThat(String.join("\n", violations)).contains(b.expected());
  }

  @Test
  void kindWithoutSchemaIsAViolation() {
    ObjectNode object =
        Rendered.overlay("dev").one("Deployment", "charstream-generator").deepCopy();
    object.put("apiVersion", "apps/v1beta1");
    assertThat(ManifestValidator.violations(object))
        .singleElement()
        .asString()
        .contains("no schema", "apps/v1beta1");
  }

  @Test
  void typoInAManifestFileFailsValidationOfTheRenderedOverlay(@TempDir Path tmp)
      throws IOException {
    Path copy = copyK8s(tmp);
    Path generator = copy.resolve("base/generator.yaml");
    String yaml = Files.readString(generator);
    String broken =
        yaml.replace(
            "      terminationGracePeriodSeconds: 60", "      terminationGracePeriodSecond: 60");
    assertThat(broken).as("the edit applies").isNotEqualTo(yaml);
    Files.writeString(generator, broken);

    List<String> violations =
        ManifestValidator.violations(
            Kustomize.render(copy.resolve("overlays/dev")).stream()
                .map(JsonNode.class::cast)
                .toList());

    assertThat(violations)
        .singleElement()
        .asString()
        .contains("Deployment/charstream-generator", "terminationGracePeriodSecond");
  }

  @Test
  void patchOfAMissingObjectFailsTheRenderWithKustomizesMessage(@TempDir Path tmp)
      throws IOException {
    Path copy = copyK8s(tmp);
    Path patch = copy.resolve("overlays/dev/small-workers.yaml");
    Files.writeString(
        patch,
        Files.readString(patch).replace("name: charstream-trainer", "name: charstream-trainr"));

    assertThatThrownBy(() -> Kustomize.render(copy.resolve("overlays/dev")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("kustomize")
        .hasMessageContaining("charstream-trainr");
  }

  // ---- helpers

  private static ObjectNode obj() {
    return new ObjectNode(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance);
  }

  private static TextNode text(String s) {
    return new TextNode(s);
  }

  /** Sets the field at {@code pointer}, whose parent must exist (an object or an array). */
  private static void set(ObjectNode root, String pointer, JsonNode value) {
    JsonPointer p = JsonPointer.compile(pointer);
    JsonNode parent = root.at(p.head());
    String last = p.last().getMatchingProperty();
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ((com.fasterxml.jackson.databind.node.ArrayNode) parent).set(Integer.parseInt(last), value);
    } else {
      throw new AssertionError(
          "no parent at " + p.head() + " in " + ManifestValidator.describe(root));
    }
  }

  private static Path copyK8s(Path tmp) throws IOException {
    Path source = Kustomize.k8s("");
    Path target = tmp.resolve("k8s");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path dest = target.resolve(source.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(f, dest);
        }
      }
    }
    return target;
  }
}
