package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.app.Main;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import picocli.CommandLine;

/**
 * The manifests agree with the code they deploy: every env var a Deployment sets is a config key of
 * that worker (or a Kafka client property, or a native-runtime knob), the values pass the worker's
 * own start-up validation, the KafkaTopics are the Topics registry's topics with its settings, and
 * the autoscaler, ACLs and consumer group line up with the generator's config.
 */
class ConfigConsistencyIT {

  static final List<String> OVERLAYS = Rendered.OVERLAYS;

  /**
   * Variables read by the native runtime (OpenMP, OpenBLAS, nd4j) or the JVM, not by charstream.
   */
  static final Set<String> RUNTIME_ENV =
      Set.of(
          "OMP_NUM_THREADS",
          "OPENBLAS_NUM_THREADS",
          "OPENBLAS_CORETYPE",
          "ND4J_SKIP_BLAS_THREADS",
          "JAVA_OPTS");

  /** Every property a charstream client may pass through: producer, consumer and admin configs. */
  static final Set<String> KAFKA_PROPERTIES = kafkaProperties();

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void generatorEnvIsMadeOfItsConfigKeysAndPassesItsValidation(String overlay) {
    Map<String, String> env = WorkerEnv.of(Rendered.overlay(overlay), "charstream-generator");
    assertThat(unknownVariables(env, GeneratorConfig.DEF))
        .as("generator env vars that configure nothing")
        .isEmpty();
    assertThatCode(
            () -> new GeneratorConfig(EnvConfig.builder(GeneratorConfig.DEF).env(env).build()))
        .as("the generator accepts the environment of overlay %s", overlay)
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void trainerEnvIsMadeOfItsConfigKeysAndPassesItsValidation(String overlay) {
    Map<String, String> env = WorkerEnv.of(Rendered.overlay(overlay), "charstream-trainer");
    assertThat(unknownVariables(env, TrainerConfig.DEF))
        .as("trainer env vars that configure nothing")
        .isEmpty();
    assertThatCode(() -> TrainerConfig.from(EnvConfig.builder(TrainerConfig.DEF).env(env).build()))
        .as("the trainer accepts the environment of overlay %s", overlay)
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void deploymentsRunRealCharstreamCommands(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    for (String d : List.of("charstream-generator", "charstream-trainer")) {
      Map<String, String> env = WorkerEnv.of(r, d);
      List<String> args = new ArrayList<>();
      // Kubernetes expands $(VAR) in args from the container's environment.
      r.container(d).path("args").forEach(a -> args.add(expand(a.asText(), env)));
      CommandLine main = Main.newCommandLine();
      assertThat(main.getSubcommands())
          .as("`charstream %s`, which %s runs, is a sub-command of Main", args.get(0), d)
          .containsKey(args.get(0));
      assertThatCode(() -> main.parseArgs(args.toArray(String[]::new)))
          .as("charstream accepts %s's args %s", d, args)
          .doesNotThrowAnyException();
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void trainerScaleTerminationAndAclsFollowItsConfig(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    TrainerConfig config = trainerConfig(r);
    JsonNode deployment = r.one("Deployment", "charstream-trainer");
    int jobs = deployment.at("/spec/replicas").asInt() * config.maxConcurrentJobs();
    assertThat(jobs)
        .as("concurrent jobs <= training-requests partitions (one job per partition at a time)")
        .isLessThanOrEqualTo(config.topics().trainingRequests().settings().partitions());
    long grace = deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
    assertThat(grace)
        .as("grace period vs handover.timeout-ms")
        .isGreaterThanOrEqualTo(config.handoverTimeout().toSeconds() + 15);

    Topics topics = config.topics();
    Acls acls = Acls.of(r.one("KafkaUser", "charstream-trainer"));
    for (Topic<?, ?> in :
        List.of(
            topics.corpus(),
            topics.corpora(),
            topics.trainingRequests(),
            topics.trainingControl(),
            topics.trainingStatus(),
            topics.trainingState())) {
      assertThat(acls.allows("topic", in.name(), "Read")).as("trainer reads " + in.name()).isTrue();
    }
    for (Topic<?, ?> out :
        List.of(
            topics.corpora(),
            topics.trainingStatus(),
            topics.checkpoints(),
            topics.trainingState(),
            topics.deadLetter(topics.corpus()),
            topics.deadLetter(topics.trainingRequests()))) {
      assertThat(acls.allows("topic", out.name(), "Write"))
          .as("trainer writes " + out.name())
          .isTrue();
    }
    assertThat(acls.allows("group", config.groupId(), "Read")).isTrue();
    assertThat(acls.allows("group", config.applicationId(), "Read"))
        .as("Kafka Streams group")
        .isTrue();
    assertThat(acls.allows("topic", config.applicationId() + "-store-changelog", "Create"))
        .as("Streams internal topics")
        .isTrue();
    assertThat(acls.allows("topic", topics.generateRequests().name(), "Read")).isFalse();
    assertThat(acls.allows("topic", topics.checkpoints().name(), "Read")).isFalse();
    assertThat(acls.rules())
        .noneMatch(
            rule -> rule.type().equals("transactionalId") || rule.operations().contains("All"));
  }

  /**
   * The trainer's probe timings, from the longest step a job may take (deploy/README.md, "Probes"):
   * a running job stops at its next step and saves its state within handover.timeout-ms; the
   * request loop may wait that long in a rebalance, so /livez's stall limit is longer; the probes
   * never watch a training thread.
   */
  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void trainerProbesOutlastItsLongestStep(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    TrainerConfig config = trainerConfig(r);
    JsonNode c = r.container("charstream-trainer");
    double cpus = cpus(c.at("/resources/limits/cpu").asText());
    double stepS = Sizing.longestStepFlops(config.limits()) / Sizing.trainingFlopPerSecond(cpus);
    double handoverS = stepS + Sizing.stateSaveSeconds(config.limits().maxParameters());
    assertThat(stepS).as("the longest step is bounded").isBetween(1.0, 600.0);
    assertThat((double) config.handoverTimeout().toSeconds())
        .as(
            "handover.timeout-ms vs the longest step (%.1f s) plus saving the state (%.1f s)",
            stepS, handoverS - stepS)
        .isGreaterThan(handoverS);
    // The request loop's longest legitimate waits: a rebalance handing jobs over, a commit
    // (default.api.timeout.ms) and the send of a verdict (delivery.timeout.ms).
    Map<String, Object> kafka = config.source().kafkaClientProps();
    long commitS =
        Long.parseLong(String.valueOf(kafka.getOrDefault("default.api.timeout.ms", 60_000))) / 1000;
    long sendS =
        Long.parseLong(String.valueOf(kafka.getOrDefault("delivery.timeout.ms", 120_000))) / 1000;
    assertThat(config.healthStall().toSeconds())
        .as("health.stall-ms vs the request loop's longest wait")
        .isGreaterThan(Math.max(config.handoverTimeout().toSeconds(), Math.max(commitS, sendS)));
    // Until the HTTP port opens: the JVM (started twice, for native tuning) and the topic check,
    // which waits up to 60 s for the brokers.
    assertThat(window(c.path("startupProbe")))
        .as("startupProbe window, s")
        .isGreaterThanOrEqualTo(90);
    assertThat(c.at("/livenessProbe/failureThreshold").asInt())
        .as("a restart needs failures in a row")
        .isGreaterThanOrEqualTo(3);
    int containerPort = c.at("/ports/0/containerPort").asInt();
    assertThat(config.httpPort()).as("http.port vs containerPort").isEqualTo(containerPort);
    assertThat(
            r.one("Deployment", "charstream-trainer")
                .at("/spec/template/metadata/annotations/prometheus.io~1port")
                .asInt())
        .isEqualTo(containerPort);
  }

  private static int window(JsonNode probe) {
    return probe.path("periodSeconds").asInt() * probe.path("failureThreshold").asInt();
  }

  /** A CPU quantity ("2", "1500m") in cores. */
  static double cpus(String quantity) {
    return quantity.endsWith("m")
        ? Double.parseDouble(quantity.substring(0, quantity.length() - 1)) / 1000
        : Double.parseDouble(quantity);
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void kafkaTopicsAreTheRegistrysTopicsWithItsSettings(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    Topics topics = topics(r);
    Map<String, Topic<?, ?>> expected = new TreeMap<>();
    topics.all().forEach(t -> expected.put(t.name(), t));
    Set<String> rendered = new HashSet<>();
    for (ObjectNode kt : r.all("KafkaTopic")) {
      String name = kt.at("/spec/topicName").asText(kt.at("/metadata/name").asText());
      rendered.add(name);
      Topic<?, ?> t = expected.get(name);
      assertThat(t)
          .as("KafkaTopic %s is a topic of the registry %s", name, expected.keySet())
          .isNotNull();
      assertThat(kt.at("/spec/partitions").asInt())
          .as(name + " partitions")
          .isEqualTo(t.settings().partitions());
      Map<String, String> config = new TreeMap<>();
      kt.at("/spec/config")
          .fields()
          .forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
      assertThat(config).as(name + " config").isEqualTo(new TreeMap<>(t.settings().configs()));
    }
    assertThat(rendered).as("a KafkaTopic for every topic").isEqualTo(expected.keySet());
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void autoscalerFollowsTheGeneratorsGroupAndRequestPartitions(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    GeneratorConfig config = generatorConfig(r);
    Topics topics = topics(r);
    int partitions = topics.generateRequests().settings().partitions();
    for (ObjectNode so : r.all("ScaledObject")) {
      JsonNode md = so.at("/spec/triggers/0/metadata");
      assertThat(so.at("/spec/maxReplicaCount").asInt())
          .as("KEDA max replicas <= request partitions")
          .isLessThanOrEqualTo(partitions);
      assertThat(md.path("consumerGroup").asText())
          .isEqualTo(config.env().getString(GeneratorConfig.GROUP_ID));
      assertThat(md.path("topic").asText()).isEqualTo(topics.generateRequests().name());
      // Offsets are committed with the responses, so a replica at work carries its full batch as
      // lag;
      // a threshold below that would scale up an idle-queued fleet, one above the batch plus the
      // fetched queue could never be reached by lag the replica holds.
      int batch = config.env().getInt(GeneratorConfig.BATCH_CAPACITY);
      int queue = config.env().getInt(GeneratorConfig.QUEUE_CAPACITY);
      assertThat(Integer.parseInt(md.path("lagThreshold").asText()))
          .isBetween(batch + 1, batch + queue);
    }
    for (ObjectNode hpa : r.all("HorizontalPodAutoscaler")) {
      assertThat(hpa.at("/spec/maxReplicas").asInt())
          .as("HPA max replicas <= request partitions")
          .isLessThanOrEqualTo(partitions);
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void generatorTerminationOutlastsItsDrain(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    GeneratorConfig config = generatorConfig(r);
    long drainS = config.env().getLong(GeneratorConfig.SHUTDOWN_DRAIN_MS) / 1000;
    long grace =
        r.one("Deployment", "charstream-generator")
            .at("/spec/template/spec/terminationGracePeriodSeconds")
            .asLong();
    // Commit of the last transaction, leaving the group and closing clients take seconds, not tens.
    assertThat(grace)
        .as("terminationGracePeriodSeconds vs shutdown.drain-ms")
        .isGreaterThanOrEqualTo(drainS + 15);
    // The drain lets the longest accepted request finish: length.max characters at the per-slot
    // rate of a full batch (see deploy/README.md, "Sizing").
    double longestS =
        config.env().getInt(GeneratorConfig.LENGTH_MAX) / Sizing.CHARS_PER_S_PER_SLOT_FULL_BATCH;
    assertThat((double) drainS)
        .as("shutdown.drain-ms vs the longest request (%.1f s)", longestS)
        .isGreaterThan(longestS);
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void kafkaUsersGrantWhatTheGeneratorAndKedaUse(String overlay) {
    Rendered r = Rendered.overlay(overlay);
    GeneratorConfig config = generatorConfig(r);
    Topics topics = topics(r);
    String group = config.env().getString(GeneratorConfig.GROUP_ID);
    Acls gen = Acls.of(r.one("KafkaUser", "charstream-generator"));
    assertThat(gen.allows("topic", topics.generateRequests().name(), "Read")).isTrue();
    assertThat(gen.allows("topic", topics.checkpoints().name(), "Read")).isTrue();
    assertThat(gen.allows("topic", topics.generateResponses().name(), "Write")).isTrue();
    assertThat(gen.allows("topic", topics.deadLetter(topics.generateRequests()).name(), "Write"))
        .isTrue();
    assertThat(gen.allows("topic", "charstream.replies.me", "Write")).isTrue(); // reply topics
    assertThat(gen.allows("topic", "charstream.replies.me", "Read")).isFalse();
    assertThat(gen.allows("group", group, "Read")).isTrue();
    assertThat(
            gen.allows(
                "transactionalId", group + "-" + "charstream-generator-5d8f7c9b6-x2x7k", "Write"))
        .isTrue();
    // Least privilege: nothing it does not use.
    assertThat(gen.allows("topic", topics.generateResponses().name(), "Read")).isFalse();
    assertThat(gen.allows("topic", topics.checkpoints().name(), "Write")).isFalse();
    assertThat(gen.allows("topic", topics.trainingState().name(), "Read")).isFalse();
    assertThat(gen.rules()).noneMatch(rule -> rule.operations().contains("All"));

    Acls keda = Acls.of(r.one("KafkaUser", "charstream-keda"));
    assertThat(keda.allows("topic", topics.generateRequests().name(), "Describe")).isTrue();
    assertThat(keda.allows("group", group, "Describe")).isTrue();
    assertThat(keda.rules()).allMatch(rule -> rule.operations().equals(Set.of("Describe")));
  }

  @org.junit.jupiter.api.Test
  void misspelledOrForeignVariablesAreCaught() {
    Map<String, String> env =
        Map.of(
            "CHARSTREAM_BATCH_CAPACITY", "64",
            "CHARSTREAM_GENERATOR_SLOTS", "64",
            "CHARSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
            "CHARSTREAM_KAFKA_SECURITY_PROTOCL", "SASL_SSL",
            "OMP_NUM_THREADS", "2",
            "HOME", "/app");
    assertThat(unknownVariables(env, GeneratorConfig.DEF))
        .containsExactlyInAnyOrder(
            "CHARSTREAM_GENERATOR_SLOTS", "CHARSTREAM_KAFKA_SECURITY_PROTOCL", "HOME");
  }

  // ---- helpers

  static Set<String> unknownVariables(Map<String, String> env, ConfigDef def) {
    Set<String> keys = def.names().stream().map(EnvConfig::envName).collect(Collectors.toSet());
    List<String> unknown = new ArrayList<>();
    for (String name : env.keySet()) {
      boolean known =
          keys.contains(name)
              || RUNTIME_ENV.contains(name)
              || (name.startsWith(EnvConfig.KAFKA_ENV_PREFIX)
                  && KAFKA_PROPERTIES.contains(EnvConfig.kafkaPropertyOf(name)));
      if (!known) {
        unknown.add(name);
      }
    }
    return new HashSet<>(unknown);
  }

  static GeneratorConfig generatorConfig(Rendered r) {
    return new GeneratorConfig(
        EnvConfig.builder(GeneratorConfig.DEF)
            .env(WorkerEnv.of(r, "charstream-generator"))
            .build());
  }

  static TrainerConfig trainerConfig(Rendered r) {
    return TrainerConfig.from(
        EnvConfig.builder(TrainerConfig.DEF).env(WorkerEnv.of(r, "charstream-trainer")).build());
  }

  static Topics topics(Rendered r) {
    return CommonKeys.topics(generatorConfig(r).env());
  }

  private static Set<String> kafkaProperties() {
    Set<String> all = new HashSet<>(ProducerConfig.configNames());
    all.addAll(ConsumerConfig.configNames());
    all.addAll(AdminClientConfig.configNames());
    return Set.copyOf(all);
  }

  private static String expand(String arg, Map<String, String> env) {
    String out = arg;
    for (Map.Entry<String, String> e : env.entrySet()) {
      out = out.replace("$(" + e.getKey() + ")", e.getValue());
    }
    return out;
  }
}
