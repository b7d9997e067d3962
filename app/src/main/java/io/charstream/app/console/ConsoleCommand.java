package io.charstream.app.console;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream console}: the web console and the HTTP API against any cluster. */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the web console (training jobs with loss curves, models, a prompt playground,",
      "a training form) and the OpenAI-style HTTP API (POST /v1/completions, GET /v1/models)",
      "for the charstream topics of a Kafka cluster, until Ctrl-C. Settings: console.* keys",
      "(README), also as env vars CHARSTREAM_CONSOLE_<KEY>; binding beyond 127.0.0.1 needs",
      "CHARSTREAM_CONSOLE_AUTH_TOKEN.",
      ""
    })
public final class ConsoleCommand extends CliCommand {

  @Mixin ClientOptions client;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "Port of the console and the API (0 = any free port). Default: 8080.")
  Integer httpPort;

  @Option(
      names = "--bind-address",
      paramLabel = "ADDRESS",
      description = "Address to listen on. Default: 127.0.0.1 (others need a token).")
  String bindAddress;

  @Override
  protected int run(PrintWriter err) throws InterruptedException {
    Map<String, Object> flags = new HashMap<>();
    flags.put(ConsoleConfig.HTTP_PORT, httpPort);
    flags.put(ConsoleConfig.BIND_ADDRESS, bindAddress);
    EnvConfig env = client.config(ConsoleConfig.DEF, null, flags);
    ConsoleConfig config = ConsoleConfig.from(env);
    if (config.port() < 0) {
      throw new UserError(ConsoleConfig.HTTP_PORT + " is -1: the console has nothing to serve");
    }
    Console console = Console.start(config, env.kafkaClientProps(), Optional.empty());
    System.out.println(
        "charstream console: "
            + console.url()
            + " (Kafka at "
            + env.getString(CommonKeys.BOOTSTRAP_SERVERS)
            + ", topics "
            + config.topics().prefix()
            + "*); Ctrl-C stops it.");
    System.out.flush();
    try (ShutdownHook hook = ShutdownHook.install("console", console::close)) {
      hook.stopped().join(); // until SIGTERM / Ctrl-C
      return 0;
    } catch (java.util.concurrent.CompletionException e) {
      throw new io.charstream.app.cli.CommandFailed("error while stopping: " + e.getCause(), e);
    }
  }
}
