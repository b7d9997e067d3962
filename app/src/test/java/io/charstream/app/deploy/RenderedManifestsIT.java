package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Each overlay renders with kubectl kustomize, every object passes strict schema validation, and
 * the objects say what deploy/README.md promises an operator (probes, termination, spreading,
 * disruption budget, autoscaling bounds, resolvable references).
 */
class RenderedManifestsIT {

  static final List<String> OVERLAYS = Rendered.OVERLAYS;
  static final String GENERATOR = "charstream-generator";
  static final String TRAINER = "charstream-trainer";
  static final String REQUESTS_TOPIC = "charstream.generate-requests";

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void everyRenderedObjectValidatesStrictly(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    assertThat(r.objects()).as("%s renders objects", overlay).hasSizeGreaterThan(10);
    assertThat(ManifestValidator.violations(r.objects()))
        .as("schema violations in overlay %s", overlay)
        .isEmpty();
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void rendersEveryPartOfTheDeployment(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    Map<String, Long> kinds =
        r.objects().stream()
            .collect(
                Collectors.groupingBy(
                    o -> o.path("kind").asText(), TreeMap::new, Collectors.counting()));
    assertThat(kinds)
        .containsEntry("Namespace", 1L)
        .containsEntry("Deployment", 2L)
        .containsEntry("PodDisruptionBudget", 1L)
        .containsEntry("Service", 1L)
        .containsKeys("ConfigMap", "NetworkPolicy", "KafkaTopic", "KafkaUser");
    assertThat(r.has("KafkaUser", TRAINER)).isTrue();
    assertThat(r.has("KafkaUser", GENERATOR)).isTrue();
    boolean keda = kinds.containsKey("ScaledObject");
    boolean hpa = kinds.containsKey("HorizontalPodAutoscaler");
    assertThat(keda ^ hpa)
        .as("%s has exactly one generator autoscaler: %s", overlay, kinds)
        .isTrue();
    if (overlay.equals("dev")) {
      assertThat(kinds).containsEntry("Kafka", 1L).containsEntry("KafkaNodePool", 1L);
    } else {
      assertThat(kinds).doesNotContainKeys("Kafka", "KafkaNodePool");
    }
    for (ObjectNode o : r.objects()) {
      if (!o.path("kind").asText().equals("Namespace")) {
        assertThat(o.at("/metadata/namespace").asText())
            .as(ManifestValidator.describe(o))
            .isEqualTo("charstream");
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void devKafkaIsSingleNodeKraftAndStrimziResourcesNameTheCluster(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    Set<String> clusters =
        r.objects().stream()
            .filter(o -> o.path("apiVersion").asText().startsWith("kafka.strimzi.io/"))
            .filter(o -> !o.path("kind").asText().equals("Kafka"))
            .map(o -> o.at("/metadata/labels/strimzi.io~1cluster").asText())
            .collect(Collectors.toSet());
    assertThat(clusters)
        .as("strimzi.io/cluster labels in %s", overlay)
        .hasSize(1)
        .doesNotContain("");
    if (overlay.equals("dev")) {
      ObjectNode kafka = r.all("Kafka").get(0);
      assertThat(clusters).containsExactly(kafka.at("/metadata/name").asText());
      JsonNode pool = r.all("KafkaNodePool").get(0).path("spec");
      assertThat(pool.path("replicas").asInt()).isEqualTo(1);
      assertThat(pool.path("roles"))
          .extracting(JsonNode::asText)
          .containsExactlyInAnyOrder("controller", "broker");
      JsonNode config = kafka.at("/spec/kafka/config");
      for (String rf :
          List.of(
              "offsets.topic.replication.factor",
              "transaction.state.log.replication.factor",
              "transaction.state.log.min.isr",
              "default.replication.factor",
              "min.insync.replicas")) {
        assertThat(config.path(rf).asInt()).as("%s on a single node", rf).isEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void trainerRecreatesAndResumesFromCheckpoints(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    JsonNode spec = r.one("Deployment", TRAINER).path("spec");
    assertThat(spec.at("/strategy/type").asText()).isEqualTo("Recreate");
    assertThat(spec.path("replicas").asInt())
        .isBetween(1, partitions(r, "charstream.training-requests"));
    // Nothing to keep on disk: the checkpoints topic is the recovery state.
    for (JsonNode v : spec.at("/template/spec/volumes")) {
      assertThat(v.has("persistentVolumeClaim")).as("trainer volume %s", v).isFalse();
    }
    assertThat(r.container(TRAINER).at("/args/0").asText()).isEqualTo("trainer");
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void generatorHasProbesOnItsHttpEndpoints(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    JsonNode c = r.container(GENERATOR);
    assertThat(c.at("/args/0").asText()).isEqualTo("generator");
    assertHttpProbesAndScraping(r, GENERATOR);
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void trainerHasProbesOnItsHttpEndpoints(String overlay) {
    assertHttpProbesAndScraping(Rendered.overlay(overlay), TRAINER);
  }

  /**
   * The worker's container serves port 8080 as "http" with its probes on /livez and /readyz, and
   * its pods are annotated for Prometheus to scrape /metrics there.
   */
  private static void assertHttpProbesAndScraping(Rendered r, String deployment) {
    JsonNode c = r.container(deployment);
    JsonNode port = c.path("ports").get(0);
    assertThat(port.path("name").asText()).isEqualTo("http");
    assertThat(port.path("containerPort").asInt()).isEqualTo(8080);
    Map<String, String> probes =
        Map.of("startupProbe", "/livez", "livenessProbe", "/livez", "readinessProbe", "/readyz");
    probes.forEach(
        (probe, path) -> {
          assertThat(c.at("/" + probe + "/httpGet/path").asText()).as(probe).isEqualTo(path);
          assertThat(c.at("/" + probe + "/httpGet/port").asText()).as(probe).isEqualTo("http");
        });
    JsonNode annotations =
        r.one("Deployment", deployment).at("/spec/template/metadata/annotations");
    assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
    assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo("8080");
    assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/metrics");
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void workersRunNonRootWithBoundedResourcesAndThreadsTiedToTheCpuLimit(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    for (String d : List.of(TRAINER, GENERATOR)) {
      JsonNode pod = r.one("Deployment", d).at("/spec/template/spec");
      JsonNode c = r.container(d);
      assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).as(d).isTrue();
      assertThat(pod.at("/securityContext/runAsUser").asInt()).as(d).isGreaterThan(0);
      assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(d).isTrue();
      assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).as(d).isFalse();
      for (String res : List.of("cpu", "memory")) {
        assertThat(c.at("/resources/requests/" + res).isMissingNode())
            .as(d + " request " + res)
            .isFalse();
        assertThat(c.at("/resources/limits/" + res).isMissingNode())
            .as(d + " limit " + res)
            .isFalse();
      }
      JsonNode omp = env(c).get("OMP_NUM_THREADS");
      assertThat(omp).as(d + " sets OMP_NUM_THREADS").isNotNull();
      assertThat(omp.at("/valueFrom/resourceFieldRef/resource").asText()).isEqualTo("limits.cpu");
      assertThat(omp.at("/valueFrom/resourceFieldRef/containerName").asText())
          .isEqualTo(c.path("name").asText());
      assertThat(c.path("image").asText())
          .as(d + " image has a tag")
          .matches("[^:]+(:[0-9][^:]*)?:[^:]+")
          .doesNotEndWith(":latest");
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void generatorSurvivesDisruptionAndSpreads(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    ObjectNode gen = r.one("Deployment", GENERATOR);
    JsonNode podLabels = gen.at("/spec/template/metadata/labels");
    JsonNode pdb = r.one("PodDisruptionBudget", GENERATOR).path("spec");
    assertThat(matches(pdb.at("/selector/matchLabels"), podLabels))
        .as("PDB selects the generator pods")
        .isTrue();
    assertThat(pdb.path("maxUnavailable").asInt(0) + pdb.path("minAvailable").asInt(0))
        .isPositive();
    JsonNode spread = gen.at("/spec/template/spec/topologySpreadConstraints");
    Set<String> keys = new HashSet<>();
    for (JsonNode s : spread) {
      keys.add(s.path("topologyKey").asText());
      assertThat(matches(s.at("/labelSelector/matchLabels"), podLabels))
          .as("spread selects the generator pods")
          .isTrue();
    }
    assertThat(keys).contains("kubernetes.io/hostname", "topology.kubernetes.io/zone");
    assertThat(gen.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt(-1)).isZero();
    JsonNode svc = r.one("Service", GENERATOR).path("spec");
    assertThat(matches(svc.path("selector"), podLabels)).isTrue();
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void autoscalerTargetsTheGeneratorAndStaysWithinTheRequestPartitions(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    int partitions = partitions(r, REQUESTS_TOPIC);
    for (ObjectNode so : r.all("ScaledObject")) {
      JsonNode spec = so.path("spec");
      assertThat(spec.at("/scaleTargetRef/name").asText()).isEqualTo(GENERATOR);
      assertThat(spec.path("maxReplicaCount").asInt())
          .as("KEDA max replicas <= request partitions")
          .isBetween(1, partitions);
      assertThat(spec.path("minReplicaCount").asInt())
          .isBetween(1, spec.path("maxReplicaCount").asInt());
      JsonNode trigger = spec.path("triggers").get(0);
      assertThat(trigger.path("type").asText()).isEqualTo("kafka");
      JsonNode md = trigger.path("metadata");
      assertThat(md.path("topic").asText()).isEqualTo(REQUESTS_TOPIC);
      assertThat(md.path("allowIdleConsumers").asText()).isEqualTo("false");
      assertThat(md.path("bootstrapServers").asText())
          .as("KEDA reaches the brokers the workers use")
          .isEqualTo(configValue(r, "CHARSTREAM_BOOTSTRAP_SERVERS"));
      String tls =
          configValue(r, "CHARSTREAM_KAFKA_SECURITY_PROTOCOL").endsWith("SSL")
              ? "enable"
              : "disable";
      assertThat(md.path("tls").asText()).isEqualTo(tls);
      assertThat(r.has("TriggerAuthentication", trigger.at("/authenticationRef/name").asText()))
          .isTrue();
    }
    for (ObjectNode hpa : r.all("HorizontalPodAutoscaler")) {
      JsonNode spec = hpa.path("spec");
      assertThat(spec.at("/scaleTargetRef/name").asText()).isEqualTo(GENERATOR);
      assertThat(spec.at("/scaleTargetRef/kind").asText()).isEqualTo("Deployment");
      assertThat(spec.path("maxReplicas").asInt())
          .as("HPA max replicas <= request partitions")
          .isBetween(1, partitions);
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void everyReferenceResolves(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    // Secrets the Strimzi User Operator creates (one per KafkaUser, same name) and the one the
    // operator copies by hand in prod (deploy/README.md).
    Set<String> secrets = names(r, "Secret");
    secrets.addAll(names(r, "KafkaUser"));
    secrets.add("charstream-kafka-ca");
    Set<String> configMaps = names(r, "ConfigMap");
    for (String d : List.of(TRAINER, GENERATOR)) {
      JsonNode pod = r.one("Deployment", d).at("/spec/template/spec");
      JsonNode c = r.container(d);
      for (JsonNode from : c.path("envFrom")) {
        assertThat(configMaps).as(d + " envFrom").contains(from.at("/configMapRef/name").asText());
      }
      for (JsonNode e : c.path("env")) {
        JsonNode secret = e.at("/valueFrom/secretKeyRef/name");
        if (!secret.isMissingNode()) {
          assertThat(secrets).as(d + " env " + e.path("name").asText()).contains(secret.asText());
        }
      }
      Set<String> volumes = new HashSet<>();
      for (JsonNode v : pod.path("volumes")) {
        volumes.add(v.path("name").asText());
        if (v.has("secret")) {
          assertThat(secrets).contains(v.at("/secret/secretName").asText());
        }
      }
      for (JsonNode m : c.path("volumeMounts")) {
        assertThat(volumes).as(d + " mounts").contains(m.path("name").asText());
      }
      String truststore = configValueOrNull(r, "CHARSTREAM_KAFKA_SSL_TRUSTSTORE_LOCATION");
      if (truststore != null) {
        boolean mounted = false;
        for (JsonNode m : c.path("volumeMounts")) {
          mounted |= truststore.startsWith(m.path("mountPath").asText() + "/");
        }
        assertThat(mounted).as(d + " mounts the truststore " + truststore).isTrue();
      }
    }
    for (ObjectNode ta : r.all("TriggerAuthentication")) {
      for (JsonNode ref : ta.at("/spec/secretTargetRef")) {
        assertThat(secrets).as("TriggerAuthentication secret").contains(ref.path("name").asText());
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void networkPoliciesLetThroughOnlyKafkaDnsAndTheHttpPort(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    String bootstrap = configValue(r, "CHARSTREAM_BOOTSTRAP_SERVERS");
    int kafkaPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    Set<Integer> egressPorts = new HashSet<>();
    Set<Integer> ingressPorts = new HashSet<>();
    for (ObjectNode np : r.all("NetworkPolicy")) {
      for (JsonNode rule : np.at("/spec/egress")) {
        assertThat(rule.has("ports")).as("every egress rule is bound to ports").isTrue();
        rule.path("ports").forEach(p -> egressPorts.add(p.path("port").asInt()));
      }
      for (JsonNode rule : np.at("/spec/ingress")) {
        rule.path("ports").forEach(p -> ingressPorts.add(p.path("port").asInt()));
      }
    }
    assertThat(egressPorts).contains(53, kafkaPort);
    assertThat(ingressPorts).containsExactly(8080);
  }

  // ---- helpers shared with the consistency tests

  static int partitions(Rendered r, String topic) {
    return r.one("KafkaTopic", topic).at("/spec/partitions").asInt();
  }

  static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> env = new TreeMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    return env;
  }

  /** A value of the charstream-common ConfigMap; fails when missing. */
  static String configValue(Rendered r, String key) {
    String v = configValueOrNull(r, key);
    if (v == null) {
      throw new AssertionError(r.overlay() + ": charstream-common has no " + key);
    }
    return v;
  }

  static String configValueOrNull(Rendered r, String key) {
    for (ObjectNode cm : r.all("ConfigMap")) {
      if (cm.at("/metadata/name").asText().startsWith("charstream-common")) {
        JsonNode v = cm.at("/data").get(key);
        return v == null ? null : v.asText();
      }
    }
    throw new AssertionError(r.overlay() + ": no charstream-common ConfigMap");
  }

  private static Set<String> names(Rendered r, String kind) {
    return r.all(kind).stream()
        .map(o -> o.at("/metadata/name").asText())
        .collect(Collectors.toCollection(HashSet::new));
  }

  private static boolean matches(JsonNode selector, JsonNode labels) {
    if (selector.isMissingNode() || selector.size() == 0) {
      return false;
    }
    for (var it = selector.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    return true;
  }
}
