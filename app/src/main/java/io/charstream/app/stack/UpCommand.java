package io.charstream.app.stack;

import io.charstream.app.broker.BrokerStartException;
import io.charstream.app.cli.ClientOptions;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream up}: broker + trainer + generator in this JVM until Ctrl-C. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the whole stack in this JVM until Ctrl-C: a Kafka broker (KRaft, on",
      "127.0.0.1), a trainer and a generator. Drive it from another terminal with",
      "corpus put / submit / status / prompt, or with kcat (it prints how).",
      "Data persists in --data-dir: a restarted stack keeps its corpora, jobs,",
      "checkpoints and models. With --bootstrap-servers (or the env",
      "CHARSTREAM_BOOTSTRAP_SERVERS) it starts only the two workers, on that",
      "cluster. Worker keys also come from the environment (CHARSTREAM_<KEY>).",
      ""
    })
public final class UpCommand implements Callable<Integer> {
  /** Where {@code up} keeps its data unless told otherwise: next to {@code charstream broker}'s. */
  public static final Path DEFAULT_DATA_DIR =
      Path.of(System.getProperty("user.home"), ".charstream");

  @Mixin ClientOptions client;

  @Option(
      names = "--port",
      defaultValue = "9092",
      paramLabel = "PORT",
      description =
          "Port of the embedded broker on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Data directory: broker log in DIR/kafka (as charstream broker), trainer tables in "
              + "DIR/trainer-state. Default: ~/.charstream.")
  Path dataDir = DEFAULT_DATA_DIR;

  @Option(
      names = "--http-port",
      defaultValue = "8080",
      paramLabel = "PORT",
      description =
          "Generator's /metrics, /livez, /readyz (0 = any free port, -1 = off). Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(
      names = "--model-id",
      paramLabel = "ID",
      description =
          "Model that prompts without a model id get (default: env CHARSTREAM_MODEL_DEFAULT_ID or 'default').")
  String modelId;

  @Option(
      names = "--trainer-config",
      paramLabel = "FILE",
      description = "Trainer config properties (the keys of charstream trainer --config-doc).")
  Path trainerConfig;

  @Option(
      names = "--generator-config",
      paramLabel = "FILE",
      description = "Generator config properties (the keys of docs/generator.md).")
  Path generatorConfig;

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedStack stack;
    try {
      boolean external = external();
      Map<String, Object> generatorSettings =
          new java.util.HashMap<>(Map.of(GeneratorConfig.HTTP_PORT, httpPort));
      if (modelId != null) generatorSettings.put(GeneratorConfig.MODEL_DEFAULT_ID, modelId);
      stack =
          EmbeddedStack.start(
              new EmbeddedStack.Options(
                  external
                      ? Optional.empty()
                      : Optional.of(new EmbeddedStack.BrokerSettings(port, dataDir)),
                  true,
                  Map.of(),
                  generatorSettings,
                  this::config));
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("charstream up: " + e.getMessage());
      return 2;
    } catch (BrokerStartException e) {
      System.err.println(
          "charstream up: "
              + e.getMessage()
              + (port != 0
                  ? " (is port "
                      + port
                      + " in use, e.g. by charstream broker? stop it, or try --port 0)"
                  : ""));
      return 1;
    } catch (RuntimeException e) {
      System.err.println("charstream up: could not start: " + e.getMessage());
      return 1;
    }
    AtomicBoolean signalled = new AtomicBoolean();
    CountDownLatch closed = new CountDownLatch(1);
    CompletableFuture<String> ended = new CompletableFuture<>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (signalled.compareAndSet(false, true)) {
                    System.err.println(
                        "charstream up: stopping (generator drains, trainer hands its job over, broker stops)...");
                  }
                  stack.close();
                  closed.countDown();
                  ended.complete(null);
                },
                "up-shutdown"));
    System.out.println(UsageHints.up(stack, external() ? null : dataDir));
    System.out.flush();
    // Stays up until Ctrl-C / SIGTERM, or until a worker stops by itself (a fatal error: say so,
    // exit 1).
    stack
        .trainer()
        .orElseThrow()
        .stopped()
        .whenComplete(
            (v, e) ->
                ended.complete("the trainer stopped" + (e == null ? "" : ": " + e.getMessage())));
    Thread generatorWatch =
        new Thread(
            () -> {
              try {
                stack.generator().orElseThrow().awaitTermination();
                ended.complete(
                    "the generator stopped: "
                        + stack.generator().orElseThrow().liveness().reason());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "up-generator-watch");
    generatorWatch.setDaemon(true);
    generatorWatch.start();
    String why = ended.join();
    if (why == null || signalled.get()) {
      closed.await();
      return 0;
    }
    System.err.println("charstream up: " + why + "; stopping the rest");
    signalled.set(true);
    stack.close();
    return 1;
  }

  private boolean external() {
    return !"default".equals(client.config().source(CommonKeys.BOOTSTRAP_SERVERS));
  }

  /** Each worker reads its own properties file; both read the flags and the environment. */
  private EnvConfig config(ConfigDef def, Map<String, Object> overrides) {
    Path file =
        def == TrainerConfig.DEF
            ? trainerConfig
            : def == GeneratorConfig.DEF ? generatorConfig : null;
    return client.config(def, file, overrides);
  }
}
