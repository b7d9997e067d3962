package io.charstream.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.client.ModelPublisher;
import io.charstream.app.it.Await;
import io.charstream.app.it.OwnBroker;
import io.charstream.app.it.Scrape;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose client listener takes only SASL/PLAIN, and the real {@code charstream generator}
 * command in its own JVM configured the way an operator would: security settings from a {@code
 * --client-config} file, the JAAS line (with the password) from {@code
 * CHARSTREAM_KAFKA_SASL_JAAS_CONFIG}, limits from {@code CHARSTREAM_*} env vars. A client ({@code
 * charstream prompt}) gets its settings from its own {@code --client-config}. Everything both print
 * (Kafka's own client config dump included) and everything /metrics shows is searched for the
 * password.
 */
class SecurityIT {

  private static final String USER = "charstream-gen";
  private static final String PASSWORD = "s3cret-Pa55word-" + Long.toHexString(System.nanoTime());
  private static final Duration WAIT = Duration.ofSeconds(120);

  @RegisterExtension
  static final OwnBroker BROKER =
      new OwnBroker(EmbeddedBroker.Options.ephemeral().withSaslPlainUsers(Map.of(USER, PASSWORD)));

  @TempDir Path dir;

  private static String jaas(String password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
        + USER
        + "\" password=\""
        + password
        + "\";";
  }

  private Path clientConfig(String name, String password) throws IOException {
    Path file = dir.resolve(name);
    List<String> lines =
        new ArrayList<>(List.of("security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN"));
    if (password != null) {
      lines.add("sasl.jaas.config=" + jaas(password).replace("\\", "\\\\"));
    }
    Files.write(file, lines);
    return file;
  }

  private static Map<String, Object> saslProps(String password) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", BROKER.get().saslBootstrapServers());
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "PLAIN");
    p.put("sasl.jaas.config", jaas(password));
    return p;
  }

  @Test
  void saslSettingsPassThroughToTheGeneratorAndAClientAndNoSecretIsPrintedOrExported()
      throws Exception {
    Topics topics = BROKER.get().topics();
    ModelPublisher.publish(
        saslProps(PASSWORD), topics, GeneratorFixture.MODEL, 1, GeneratorFixture.checkpoint(11L));
    int httpPort = freePort();
    Path log = dir.resolve("generator.log");
    ProcessBuilder pb =
        new ProcessBuilder(
            javaBin(),
            "-Xmx384m",
            "-XX:+UseSerialGC",
            // Kafka's clients print their whole config at info: the log must still hold no secret.
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info",
            "-Dorg.slf4j.simpleLogger.log.io.charstream=debug",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "generator",
            "--bootstrap-servers",
            BROKER.get().saslBootstrapServers(),
            "--client-config",
            clientConfig("generator.properties", null).toString(),
            "--model-id",
            GeneratorFixture.MODEL,
            "--http-port",
            Integer.toString(httpPort));
    pb.environment().put("CHARSTREAM_KAFKA_SASL_JAAS_CONFIG", jaas(PASSWORD));
    pb.environment().put("CHARSTREAM_INSTANCE_ID", "secure-1");
    pb.environment().put("CHARSTREAM_LENGTH_MAX", "64");
    pb.environment().put("CHARSTREAM_PROMPT_MAX_CHARS", "32");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process generator = pb.start();
    try {
      try {
        Await.until(
            WAIT,
            "the generator's /readyz",
            () -> {
              if (!generator.isAlive()) {
                throw new AssertionError("the generator exited with " + generator.exitValue());
              }
              return Scrape.status(httpPort, "/readyz") == 200;
            });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; its output:\n" + read(log), e);
      }

      Path clientFile = clientConfig("client.properties", PASSWORD);
      Run ok = prompt(clientFile, "--seed", "KING", "--length", "20", "--random-seed", "7");
      assertThat(ok.status).as(ok.output).isZero();
      assertThat(ok.output).startsWith("KING").hasSizeGreaterThanOrEqualTo(24);
      // Limits come from the generator's env: one client cannot ask for more.
      Run tooLong = prompt(clientFile, "--seed", "KING", "--length", "65");
      assertThat(tooLong.status).isNotZero();
      assertThat(tooLong.output).contains("length").contains("1..64");
      Run bigPrompt = prompt(clientFile, "--seed", "x".repeat(33), "--length", "5");
      assertThat(bigPrompt.status).isNotZero();
      assertThat(bigPrompt.output).contains("33 characters").contains("32");
      // A wrong password is refused by the broker, and the client says so.
      Run refused =
          prompt(
              clientConfig("wrong.properties", "not-the-password"),
              "--seed",
              "KING",
              "--length",
              "5",
              "--timeout",
              "20");
      assertThat(refused.status).isNotZero();
      assertThat(refused.output).containsIgnoringCase("authentication failed");

      String metrics = Scrape.get(httpPort, "/metrics").body();
      assertThat(metrics).contains("charstream_generator_requests_total");
      assertThat(metrics).doesNotContain(PASSWORD);
      for (Run r : List.of(ok, tooLong, bigPrompt, refused)) {
        assertThat(r.output).doesNotContain(PASSWORD).doesNotContain("not-the-password");
      }
    } finally {
      generator.destroy(); // SIGTERM: the graceful shutdown a pod gets
      if (!generator.waitFor(60, TimeUnit.SECONDS)) {
        generator.destroyForcibly();
      }
    }
    // The JVM reports SIGTERM as 143 (128 + 15) after its shutdown hooks ran; the log shows they
    // did.
    assertThat(generator.exitValue()).as("exit status after SIGTERM").isEqualTo(143);
    String output = read(log);
    assertThat(output).contains("generator worker left the group");
    assertThat(output).contains("sasl.jaas.config = [hidden]"); // the config was printed, redacted
    assertThat(output).contains("security.protocol = SASL_PLAINTEXT");
    assertThat(output).doesNotContain(PASSWORD);
  }

  private record Run(int status, String output) {}

  /** Runs {@code charstream prompt} in this JVM with stdout and stderr captured. */
  private Run prompt(Path clientConfig, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "prompt",
                "--bootstrap-servers",
                BROKER.get().saslBootstrapServers(),
                "--client-config",
                clientConfig.toString()));
    all.addAll(List.of(args));
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    int status;
    try {
      System.setOut(capture);
      System.setErr(capture); // slf4j-simple writes to the System.err of the moment
      status = Main.newCommandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    String output = buffer.toString(StandardCharsets.UTF_8);
    System.out.println(
        "charstream " + String.join(" ", args) + " -> " + status + ": " + output.strip());
    return new Run(status, output);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
