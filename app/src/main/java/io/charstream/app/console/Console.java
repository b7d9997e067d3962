package io.charstream.app.console;

import io.charstream.app.client.PromptClient;
import io.charstream.generator.GeneratorService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console and the HTTP API, wired: a topic follower feeding the console's state, a prompt
 * client for completions, and the HTTP server. {@code charstream up} starts one next to its workers
 * (and answers the generator's probes and metrics on the same port); {@code charstream console}
 * starts one against any cluster.
 */
public final class Console implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Console.class);

  private final TopicFollower follower;
  private final Thread followerThread;
  private final PromptClient prompts;
  private final ConsoleServer server;
  private final ConsoleConfig config;

  private Console(
      ConsoleConfig config,
      TopicFollower follower,
      Thread followerThread,
      PromptClient prompts,
      ConsoleServer server) {
    this.config = config;
    this.follower = follower;
    this.followerThread = followerThread;
    this.prompts = prompts;
    this.server = server;
  }

  /**
   * Starts the console on {@code config}'s port ({@code config.port()} must not be -1).
   *
   * @param clientProps Kafka client properties that reach the cluster
   * @param generator the generator running in this process, if any: its endpoints are served and
   *     its loaded versions shown as served
   * @throws UncheckedIOException when the port cannot be bound
   */
  public static Console start(
      ConsoleConfig config, Map<String, Object> clientProps, Optional<GeneratorService> generator) {
    if (config.port() < 0) throw new IllegalArgumentException("the console is off (port -1)");
    ServedVersions.FromAnswers seen = new ServedVersions.FromAnswers();
    ServedVersions served = generator.map(ServedVersions::of).orElse(seen);
    ConsoleState state = new ConsoleState(served);
    PromptClient prompts = new PromptClient(clientProps, config.topics());
    ConsoleServer server;
    try {
      Completions completions =
          new Completions(
              prompts,
              config.requestTimeout(),
              config.maxInFlight(),
              r -> seen.answered(r.modelId(), r.modelVersion()),
              Clock.systemUTC());
      server =
          new ConsoleServer(
              config,
              clientProps,
              state,
              completions,
              generator.map(GeneratorEndpoints::new).orElse(null));
    } catch (IOException e) {
      prompts.close();
      throw new UncheckedIOException(
          "the console could not listen on "
              + config.bindAddress().getHostAddress()
              + ":"
              + config.port()
              + " ("
              + e.getMessage()
              + "): is the port in use? set "
              + ConsoleConfig.HTTP_PORT
              + " (--http-port) to another, or 0 for any free one",
          e);
    }
    TopicFollower follower = new TopicFollower(clientProps, config.topics(), state);
    Thread thread = new Thread(follower, "console-topics");
    thread.setDaemon(true);
    thread.start();
    LOG.info("console on http://{}:{}/", config.bindAddress().getHostAddress(), server.port());
    return new Console(config, follower, thread, prompts, server);
  }

  /** The port the server listens on (the configured one, or the one picked for 0). */
  public int port() {
    return server.port();
  }

  /** The page's address as a browser on this machine opens it. */
  public String url() {
    String host =
        config.bindAddress().isAnyLocalAddress()
            ? "127.0.0.1"
            : config.bindAddress().getHostAddress();
    if (host.contains(":")) host = "[" + host + "]";
    return "http://" + host + ":" + port() + "/";
  }

  @Override
  public void close() {
    server.close();
    follower.close();
    try {
      followerThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    prompts.close();
  }
}
