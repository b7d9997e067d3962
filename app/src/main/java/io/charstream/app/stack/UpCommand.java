package io.charstream.app.stack;

import io.charstream.app.broker.BrokerCommand;
import io.charstream.app.broker.BrokerStartException;
import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.app.cli.UserError;
import io.charstream.app.console.Console;
import io.charstream.app.console.ConsoleConfig;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
      "The web console and the HTTP API (POST /v1/completions) run on --http-port,",
      "on 127.0.0.1 (console.* keys, README).",
      ""
    })
public final class UpCommand extends CliCommand {
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
      paramLabel = "PORT",
      description =
          "Port of the web console, the HTTP API (/v1/completions) and the generator's /metrics,"
              + " /livez, /readyz (0 = any free port, -1 = no HTTP server). Default: 8080 (env"
              + " CHARSTREAM_CONSOLE_HTTP_PORT).")
  Integer httpPort;

  @Option(
      names = "--trainer-http-port",
      defaultValue = "8081",
      paramLabel = "PORT",
      description =
          "Trainer's /metrics, /livez, /readyz (0 = any free port, -1 = off). Default: ${DEFAULT-VALUE}.")
  int trainerHttpPort;

  @Option(
      names = "--model-id",
      paramLabel = "ID",
      description =
          "Model that prompts without a model id get (default: env CHARSTREAM_MODEL_DEFAULT_ID or 'default').")
  String modelId;

  @Option(
      names = "--secure",
      paramLabel = "DIR",
      description = {
        "Run the embedded broker as charstream broker --secure DIR does (TLS, SCRAM-SHA-512, the",
        "ACLs of deploy/k8s/strimzi/users.yaml); the trainer, the generator and the console",
        "connect as their own KafkaUsers, and DIR holds the client properties files."
      })
  Path secureDir;

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
  protected int run(PrintWriter err) throws InterruptedException {
    EmbeddedStack stack;
    EnvConfig consoleEnv;
    ConsoleConfig consoleConfig;
    try {
      // Checked before anything starts: a bad console setting fails in a second, not after the
      // broker.
      Map<String, Object> consoleFlags = new java.util.HashMap<>();
      if (httpPort != null) consoleFlags.put(ConsoleConfig.HTTP_PORT, httpPort);
      consoleEnv = config(ConsoleConfig.DEF, consoleFlags);
      consoleConfig = ConsoleConfig.from(consoleEnv);
      boolean external = client.clusterGiven();
      if (secureDir != null && external)
        throw new UserError(
            "--secure runs the embedded broker: it does not go with --bootstrap-servers"
                + " (or CHARSTREAM_BOOTSTRAP_SERVERS)");
      // The console owns the HTTP port and answers the generator's endpoints on it.
      Map<String, Object> generatorSettings =
          new java.util.HashMap<>(Map.of(GeneratorConfig.HTTP_PORT, -1));
      if (modelId != null) generatorSettings.put(GeneratorConfig.MODEL_DEFAULT_ID, modelId);
      stack =
          EmbeddedStack.start(
              new EmbeddedStack.Options(
                  EmbeddedStack.BrokerSettings.unless(external, port, dataDir)
                      .map(b -> new EmbeddedStack.BrokerSettings(b.port(), b.dataDir(), secureDir)),
                  true,
                  Map.of(TrainerConfig.HTTP_PORT, trainerHttpPort),
                  generatorSettings,
                  this::config));
    } catch (ConfigException | IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    } catch (BrokerStartException e) {
      throw new CommandFailed(
          e.getMessage()
              + (port != 0
                  ? " (is port "
                      + port
                      + " in use, e.g. by charstream broker? stop it, or try --port 0)"
                  : ""),
          e);
    } catch (RuntimeException e) {
      throw new CommandFailed("could not start: " + e.getMessage(), e);
    }
    Console console = null;
    if (consoleConfig.port() >= 0) {
      try {
        console = Console.start(consoleConfig, stack.clientProps(), stack.generator());
      } catch (RuntimeException e) {
        stack.close();
        throw new CommandFailed(e.getMessage(), e);
      }
    }
    Console web = console;
    CompletableFuture<String> ended = new CompletableFuture<>();
    ShutdownHook hook =
        ShutdownHook.install(
            "up",
            () -> {
              System.err.println(
                  "charstream up: stopping (generator drains, trainer hands its job over, broker stops)...");
              if (web != null) web.close();
              stack.close();
            });
    hook.stopped().whenComplete((v, e) -> ended.complete(null));
    System.out.println(
        UsageHints.up(
            stack, client.clusterGiven() ? null : dataDir, web == null ? null : web.url()));
    stack
        .broker()
        .flatMap(b -> b.security())
        .ifPresent(
            s ->
                System.out.println(
                    "\nSecure broker (--secure "
                        + s.dir()
                        + "): every command above needs --client-config "
                        + s.propertiesFile("charstream-client")
                        + "\n"
                        + BrokerCommand.secureHints(s, stack.bootstrapServers())));
    System.out.flush();
    // Stays up until Ctrl-C / SIGTERM, or until a worker stops by itself (a fatal error: say so,
    // exit 1).
    watch(
        "up-trainer-watch",
        stack.trainer().orElseThrow()::awaitTermination,
        () ->
            "the trainer stopped"
                + stack
                    .trainer()
                    .orElseThrow()
                    .failure()
                    .map(e -> ": " + e.getMessage())
                    .orElse(""),
        ended);
    watch(
        "up-generator-watch",
        stack.generator().orElseThrow()::awaitTermination,
        () -> "the generator stopped: " + stack.generator().orElseThrow().liveness().reason(),
        ended);
    String why = ended.join();
    if (why == null || hook.fired()) {
      hook.awaitStopped();
      return 0;
    }
    hook.close();
    if (web != null) web.close();
    stack.close();
    throw new CommandFailed(why + "; stopped the rest");
  }

  /** A worker's blocking wait for its end. */
  private interface Termination {
    void await() throws InterruptedException;
  }

  /** Completes {@code ended} with {@code why} when {@code termination} returns. */
  private static void watch(
      String name,
      Termination termination,
      java.util.function.Supplier<String> why,
      CompletableFuture<String> ended) {
    Thread t =
        new Thread(
            () -> {
              try {
                termination.await();
                ended.complete(why.get());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            name);
    t.setDaemon(true);
    t.start();
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
