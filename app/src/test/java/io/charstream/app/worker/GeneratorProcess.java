package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.it.Await;
import io.charstream.app.it.Scrape;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code charstream generator} in its own JVM, as a container runs it, for the faults a thread in
 * the test's JVM cannot fake: SIGKILL between any two instructions ({@link #kill}), and a process
 * frozen past its session timeout that wakes up later ({@link #pause} / {@link #resume}). Its
 * settings come from the environment, like a pod's; its output goes to a log file.
 */
public final class GeneratorProcess implements AutoCloseable {

  private final String instance;
  private final Process process;
  private final Path log;
  private final int httpPort;

  private GeneratorProcess(String instance, Process process, Path log, int httpPort) {
    this.instance = instance;
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  /**
   * Starts {@code charstream generator} on the fixture's broker and topics, with the fixture's
   * short session and transaction timeouts; {@code env} adds or overrides CHARSTREAM_* settings.
   */
  public static GeneratorProcess start(
      GeneratorFixture f, String instance, Map<String, String> env, Path dir) throws IOException {
    int port = freePort();
    Path log = dir.resolve(instance + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "generator",
            "--bootstrap-servers",
            f.broker.bootstrapServers(),
            "--model-id",
            GeneratorFixture.MODEL,
            "--http-port",
            Integer.toString(port));
    Map<String, String> e = new HashMap<>();
    e.put("CHARSTREAM_TOPIC_PREFIX", f.topics.prefix());
    e.put("CHARSTREAM_INSTANCE_ID", instance);
    e.put("CHARSTREAM_MODEL_WAIT_MS", "500");
    e.put("CHARSTREAM_SHUTDOWN_DRAIN_MS", "5000");
    e.put("CHARSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000");
    e.put("CHARSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
    e.put("CHARSTREAM_KAFKA_TRANSACTION_TIMEOUT_MS", "5000");
    e.putAll(env);
    pb.environment().putAll(e);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return new GeneratorProcess(instance, pb.start(), log, port);
  }

  public String instance() {
    return instance;
  }

  /** The client id of its request consumer, as the group lists its members. */
  public String clientId() {
    return "generator-" + instance;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Waits until /readyz answers 200 (partitions assigned, model loaded). */
  public void awaitReady(Duration timeout) {
    Await.until(
        timeout,
        instance + "'s /readyz (log: " + log + ")",
        () -> {
          if (!process.isAlive()) {
            throw new AssertionError(
                instance + " exited with " + process.exitValue() + "; its output:\n" + log());
          }
          return Scrape.status(httpPort, "/readyz") == 200;
        });
  }

  /**
   * The sum of the Prometheus samples named {@code name} (for example {@code
   * charstream_generator_slots_active}), scraped now.
   */
  public double metric(String name) throws IOException, InterruptedException {
    return metric(name, "");
  }

  /** As {@link #metric(String)}, over the samples whose labels contain {@code label}. */
  public double metric(String name, String label) throws IOException, InterruptedException {
    String body = Scrape.get(httpPort, "/metrics").body();
    double sum = 0;
    for (String line : body.split("\n")) {
      if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(label)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** SIGKILL: the process dies wherever it is, between producing and committing included. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(instance + " died").isTrue();
    assertThat(process.exitValue()).as(instance + "'s exit status (128 + SIGKILL)").isEqualTo(137);
  }

  /** SIGSTOP: every thread frozen, heartbeats included; the group evicts it after its session. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: it carries on where it stopped, unaware that time passed. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  /** SIGTERM and the wait for its graceful shutdown; returns the exit status. */
  public int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  /** Everything it printed so far. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start();
    assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -" + name + " " + pid()).isZero();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
