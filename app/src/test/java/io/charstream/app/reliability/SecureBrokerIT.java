package io.charstream.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.app.Main;
import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.broker.KafkaUsers;
import io.charstream.app.broker.LocalSecurity;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.it.TopicReader;
import io.charstream.app.worker.TrainerFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production security path on a real broker: {@code broker --secure} (TLS, SCRAM-SHA-512, the
 * StandardAuthorizer with the ACLs of deploy/k8s/strimzi/users.yaml). The trainer, the generator
 * and the CLI clients each run as their own KafkaUser, from the properties file the broker wrote,
 * through {@code --client-config} as an operator would pass it, and do their whole job; then every
 * user is refused what its ACLs do not grant, with an error naming the topic, while the workers
 * keep running. Everything printed during the test is searched for the passwords.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureBrokerIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(300);
  private static final String MODEL = "secure-model";

  @TempDir static Path dir;
  private static Path secureDir;
  private static EmbeddedBroker broker;
  private static LocalSecurity security;
  private static TrainerWorker trainer;
  private static GeneratorService generator;
  private static final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private static PrintStream stdout;
  private static PrintStream stderr;

  @BeforeAll
  static void start() throws Exception {
    // Everything the broker, the workers and the commands print (slf4j-simple writes to the
    // System.err of the moment) is kept, to be searched for passwords at the end.
    stdout = System.out;
    stderr = System.err;
    System.setOut(new PrintStream(new Tee(stdout, printed), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(stderr, printed), true, StandardCharsets.UTF_8));
    secureDir = dir.resolve("secure");
    broker = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral().withSecureDir(secureDir));
    security = broker.security().orElseThrow();
    trainer =
        TrainerWorker.start(
            configOf(
                "charstream-trainer",
                TrainerConfig.DEF,
                Map.of(
                    TrainerConfig.STATE_DIR,
                    dir.resolve("trainer-state").toString(),
                    TrainerConfig.WORKER_ID,
                    "secure-trainer",
                    TrainerConfig.CORPUS_WAIT_MS,
                    3_000L,
                    TrainerConfig.HTTP_PORT,
                    0)));
    generator =
        GeneratorService.start(
            new GeneratorConfig(
                configOf(
                    "charstream-generator",
                    GeneratorConfig.DEF,
                    Map.of(
                        GeneratorConfig.INSTANCE_ID,
                        "secure-1",
                        GeneratorConfig.MODEL_DEFAULT_ID,
                        MODEL,
                        GeneratorConfig.HTTP_PORT,
                        0))));
  }

  @AfterAll
  static void stop() {
    try {
      if (generator != null) generator.close();
      if (trainer != null) trainer.close();
      if (broker != null) broker.close();
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  private static Path file(String user) {
    return security.propertiesFile(user);
  }

  private static Map<String, Object> props(String user) {
    return new HashMap<>(security.clientProps(user, broker.bootstrapServers()));
  }

  @Test
  @Order(1)
  void dirHoldsTheCaAndOneOwnerOnlyPropertiesFilePerUserAndTheBrokerGrantsExactlyTheManifestAcls()
      throws Exception {
    for (String name :
        List.of("trainer", "generator", "keda", "client").stream()
            .map(n -> n + ".properties")
            .toList()) {
      Path f = secureDir.resolve(name);
      assertThat(Files.getPosixFilePermissions(f))
          .as(name)
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      Properties p = new Properties();
      try (var r = Files.newBufferedReader(f)) {
        p.load(r);
      }
      assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
      assertThat(p.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
      assertThat(p.getProperty("bootstrap.servers")).isEqualTo(broker.bootstrapServers());
      assertThat(p.getProperty("ssl.truststore.location"))
          .isEqualTo(secureDir.resolve("ca.crt").toString());
    }
    assertThat(Files.readString(secureDir.resolve("ca.crt"))).startsWith("-----BEGIN CERTIFICATE");
    // The CA's key was thrown away: only the broker's keystore holds a key.
    try (var files = Files.list(secureDir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "ca.crt",
              "broker.p12",
              "secrets.properties",
              "trainer.properties",
              "generator.properties",
              "keda.properties",
              "client.properties");
    }
    Set<AclBinding> wanted = new HashSet<>();
    KafkaUsers.bundled().forEach(u -> wanted.addAll(u.acls()));
    try (Admin admin = broker.admin()) {
      assertThat(new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get()))
          .isEqualTo(wanted);
    }
  }

  @Test
  @Order(2)
  void trainerGeneratorAndClientsDoTheirWholeJobEachAsItsOwnUser() throws Exception {
    Path client = file("charstream-client");
    Path corpus = Files.writeString(dir.resolve("tiny.txt"), TrainerFixture.corpus(10_000, 1));
    assertThat(cli(client, "corpus", "put", "--corpus-id", "tiny", corpus.toString()).status())
        .isZero();
    Run submit = cli(client, TrainerFixture.tinySubmit(MODEL, "tiny", "job-secure", 2));
    assertThat(submit.status()).as(submit.output()).isZero();
    long version;
    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(props("charstream-client"), Topics.defaults().trainingStatus())) {
      status.await(
          JOB_TIMEOUT,
          "job-secure completed",
          r -> r.key().equals("job-secure") && r.value().terminal());
      List<TrainingStatus> events =
          status.values().stream().filter(s -> s.jobId().equals("job-secure")).toList();
      assertThat(events.get(events.size() - 1)).isInstanceOf(TrainingStatus.Completed.class);
      assertThat(events.stream().map(TrainingStatus::type).distinct())
          .containsExactly("accepted", "progress", "checkpoint", "completed");
      version = ((TrainingStatus.Completed) events.get(events.size() - 1)).version();
    }
    // The client reads checkpoint events; the trainer's resumable state is there too, readable
    // only by the trainer (and the broker).
    try (TopicReader<String, CheckpointEvent> cps =
        new TopicReader<>(props("charstream-client"), Topics.defaults().checkpoints())) {
      ConsumerRecord<String, CheckpointEvent> last =
          cps.await(
              Duration.ofSeconds(30),
              "the final checkpoint",
              r -> r.key().equals(MODEL) && r.value().last());
      assertThat(last.value().version()).isEqualTo(version);
    }
    try (TopicReader<String, CheckpointEvent> state =
        new TopicReader<>(broker.adminClientProps(), Topics.defaults().trainingState())) {
      state.await(Duration.ofSeconds(30), "a training state", r -> r.value().trainingState());
    }
    Run status = cli(client, "status", "--job-id", "job-secure");
    assertThat(status.status()).as(status.output()).isZero();
    assertThat(status.output()).contains("job-secure").containsIgnoringCase("completed");

    Run prompt =
        cli(client, "prompt", "--seed", "The king", "--length", "30", "--random-seed", "3");
    assertThat(prompt.status()).as(prompt.output()).isZero();
    assertThat(prompt.output()).startsWith("The king").hasSizeGreaterThanOrEqualTo(38);
  }

  @Test
  @Order(3)
  void eachUserIsRefusedWhatItsAclsDoNotGrantWithTheTopicNamedAndTheWorkersKeepRunning()
      throws Exception {
    // The generator's user cannot write training requests: the real submit command, run with the
    // generator's file, says which topic it may not write.
    Run submit =
        cli(
            file("charstream-generator"),
            "submit",
            "--model-id",
            "evil",
            "--corpus-id",
            "tiny",
            "--num-epochs",
            "1");
    assertThat(submit.status()).isNotZero();
    assertThat(submit.output())
        .contains(
            "charstream submit: refused by Kafka: Not authorized to access topics:"
                + " [charstream.training-requests] (the user of --client-config has no ACL")
        .doesNotContain("\tat "); // one line, no stack trace
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            props("charstream-generator"), new StringSerializer(), new StringSerializer())) {
      assertThatThrownBy(
              () -> p.send(new ProducerRecord<>("charstream.training-requests", "k", "{}")).get())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining("charstream.training-requests");
    }
    // A client cannot read the trainer's state (weights and optimizer moments of every job).
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(
            props("charstream-client"), new StringDeserializer(), new StringDeserializer())) {
      c.assign(List.of(new TopicPartition("charstream.training-state", 0)));
      c.seekToBeginning(c.assignment());
      assertThatThrownBy(() -> c.poll(Duration.ofSeconds(10)))
          .isInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining("charstream.training-state");
    }
    // Nor may a client join a consumer group outside its prefix charstream-client.
    Map<String, Object> foreignGroup = props("charstream-client");
    foreignGroup.put("group.id", "charstream-generator");
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(foreignGroup, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of("charstream.generate-responses"));
      assertThatThrownBy(() -> c.poll(Duration.ofSeconds(10)))
          .hasMessageContaining("charstream-generator")
          .hasMessageContainingAll("Not authorized");
    }
    // Anonymous and wrong-password clients are refused at the door. A plaintext Kafka request
    // gets a TLS alert back, not an answer (a plaintext Java client is not run here: it reads the
    // alert as a message size and can run out of heap, KAFKA-4090).
    try (Socket s = new Socket("127.0.0.1", broker.port())) {
      s.setSoTimeout(10_000);
      // ApiVersions v0 request: size, api key 18, version 0, correlation id 1, client id "x"
      s.getOutputStream().write(new byte[] {0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 1, 0, 1, 'x'});
      int first = s.getInputStream().read();
      assertThat(first).as("first byte back: a TLS alert (21) or end of stream").isIn(21, -1);
    }
    Path wrong = dir.resolve("wrong.properties");
    Files.writeString(
        wrong,
        Files.readString(file("charstream-client"))
            .replaceAll("password=\"[^\"]*\"", "password=\"not-the-password\""));
    Run wrongPassword = cli(wrong, "prompt", "--seed", "x", "--length", "5", "--timeout", "20");
    assertThat(wrongPassword.status()).isNotZero();
    assertThat(wrongPassword.output())
        .contains("charstream prompt: refused by Kafka: Authentication failed")
        .contains("invalid credentials with SASL mechanism SCRAM-SHA-512")
        .doesNotContain("not-the-password");
    assertRefused(Map.of("security.protocol", "SSL"), null); // TLS but no SASL: no principal
    Map<String, Object> noTruststore = props("charstream-client");
    noTruststore.remove("ssl.truststore.type");
    noTruststore.remove("ssl.truststore.location");
    assertRefused(noTruststore, SslAuthenticationException.class); // the broker's CA not trusted
    Map<String, Object> badPassword = props("charstream-client");
    badPassword.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"charstream-client\" password=\"nope\";");
    assertRefused(badPassword, SaslAuthenticationException.class);

    // None of it stopped a worker: both are live, and a prompt is still answered.
    assertThat(trainer.liveness().ok()).as(trainer.liveness().reason()).isTrue();
    assertThat(generator.liveness().ok()).as(generator.liveness().reason()).isTrue();
    Run prompt = cli(file("charstream-client"), "prompt", "--seed", "The king", "--length", "10");
    assertThat(prompt.status()).as(prompt.output()).isZero();

    String all = printed.toString(StandardCharsets.UTF_8);
    for (KafkaUsers.User u : security.users()) {
      String jaas = security.clientProps(u.name(), "x").get("sasl.jaas.config").toString();
      String password = jaas.replaceAll(".*password=\"([^\"]*)\".*", "$1");
      assertThat(password).hasSizeGreaterThan(20);
      assertThat(all).as("printed output").doesNotContain(password);
    }
  }

  private static void assertRefused(Map<String, Object> overrides, Class<?> error) {
    Map<String, Object> p = new HashMap<>(overrides);
    p.put("bootstrap.servers", broker.bootstrapServers());
    p.put("request.timeout.ms", 5_000);
    p.put("default.api.timeout.ms", 10_000);
    try (Admin admin = Admin.create(p)) {
      var thrown =
          assertThatThrownBy(
              () ->
                  admin
                      .describeCluster(new DescribeClusterOptions().timeoutMs(10_000))
                      .nodes()
                      .get());
      if (error != null) thrown.cause().isInstanceOf(error);
    }
  }

  private record Run(int status, String output) {}

  /** Runs a {@code charstream} command in this JVM with {@code --client-config clientConfig}. */
  /** The config of {@code def} for the broker user whose client file {@code user} names. */
  private static EnvConfig configOf(String user, ConfigDef def, Map<String, Object> keys) {
    return ClientOptions.of(null, null).withClientConfig(file(user)).config(def, null, keys);
  }

  private static Run cli(Path clientConfig, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--client-config", clientConfig.toString()));
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream capture = new PrintStream(new Tee(buffer, printed), true, StandardCharsets.UTF_8);
    int status;
    try {
      System.setOut(capture);
      System.setErr(capture);
      status = Main.newCommandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    String output = buffer.toString(StandardCharsets.UTF_8);
    System.out.println("charstream " + String.join(" ", args) + " -> " + status + ": " + output);
    return new Run(status, output);
  }

  /** Writes to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws java.io.IOException {
      a.write(x);
      synchronized (b) {
        b.write(x);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
    }
  }
}
