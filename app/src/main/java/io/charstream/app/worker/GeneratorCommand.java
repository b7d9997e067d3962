package io.charstream.app.worker;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.config.EnvConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream generator}: runs one generator worker until SIGTERM / Ctrl-C. */
@Command(
    name = "generator",
    mixinStandardHelpOptions = true,
    description = {
      "Serve text generation: read generate-requests, continuous batching, write generate-responses.",
      "Every setting is also an env var CHARSTREAM_<KEY> (see docs/generator.md); Kafka client properties",
      "come from --client-config FILE or CHARSTREAM_KAFKA_<PROPERTY>. SIGTERM finishes (or hands back) running",
      "requests, commits and leaves the group."
    })
public final class GeneratorCommand extends CliCommand {

  @Mixin ClientOptions kafka;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file of generator keys (batch.capacity=...).")
  Path config;

  @Option(
      names = "--batch-capacity",
      paramLabel = "N",
      description = "Slots stepped together (1 = no batching).")
  Integer batchCapacity;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "Port of /metrics, /livez, /readyz (-1 = off).")
  Integer httpPort;

  @Option(
      names = "--model-id",
      paramLabel = "ID",
      description = "Default model id for requests that name none.")
  String modelId;

  @Override
  protected int run(PrintWriter err) throws Exception {
    Map<String, Object> flags = new HashMap<>();
    flags.put(GeneratorConfig.BATCH_CAPACITY, batchCapacity);
    flags.put(GeneratorConfig.HTTP_PORT, httpPort);
    flags.put(GeneratorConfig.MODEL_DEFAULT_ID, modelId);
    EnvConfig env = kafka.config(GeneratorConfig.DEF, config, flags);
    GeneratorService service = GeneratorService.start(new GeneratorConfig(env));
    System.err.println("generator " + service.instanceId() + " running; " + env);
    try (ShutdownHook hook = ShutdownHook.install("generator", service::close)) {
      service.awaitTermination();
      if (hook.fired()) {
        hook.awaitStopped();
        return 0;
      }
      // The loop ended by itself (a fatal error): report it instead of waiting for a signal.
      throw new CommandFailed("generator stopped: " + service.liveness().reason());
    }
  }
}
