package io.charstream.app.worker;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream trainer}: the Kafka trainer worker, until SIGTERM / Ctrl-C. */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description = {
      "Run a trainer worker: reads corpora and training requests from Kafka, trains, publishes",
      "progress and checkpoints. Replicas with the same group.id share the jobs. Every config key can be",
      "set in --config FILE or as env CHARSTREAM_<KEY>; see --config-doc."
    })
public final class TrainerCommand extends CliCommand {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerCommand.class);

  @Mixin ClientOptions client;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Trainer config properties (keys of --config-doc).")
  Path configFile;

  @Option(
      names = "--max-concurrent-jobs",
      paramLabel = "N",
      description = "Jobs trained at once (default 1).")
  Integer maxConcurrentJobs;

  @Option(
      names = "--worker-id",
      paramLabel = "NAME",
      description = "Name in status events (default host-pid).")
  String workerId;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description =
          "Port of /metrics, /livez, /readyz (default 8081; 0 = any free port, -1 = off).")
  Integer httpPort;

  @Option(
      names = "--config-doc",
      description = "Print the table of config keys (Markdown) and exit.")
  boolean configDoc;

  @Override
  protected int run(PrintWriter err) throws InterruptedException {
    if (configDoc) {
      System.out.print(EnvConfig.markdownTable(TrainerConfig.DEF));
      return 0;
    }
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(TrainerConfig.MAX_CONCURRENT_JOBS, maxConcurrentJobs);
    overrides.put(TrainerConfig.WORKER_ID, workerId);
    overrides.put(TrainerConfig.HTTP_PORT, httpPort);
    EnvConfig env = client.config(TrainerConfig.DEF, configFile, overrides);
    LOG.info("trainer {}", env);
    TrainerWorker worker;
    try {
      worker = TrainerWorker.start(env);
    } catch (IllegalStateException e) {
      throw new CommandFailed(e.getMessage(), e);
    }
    try (ShutdownHook hook = ShutdownHook.install("trainer", worker::close)) {
      worker.awaitTermination();
      if (worker.failure().isPresent()) {
        throw new CommandFailed("stopped on an error: " + worker.failure().get());
      }
      hook.awaitStopped();
      return 0;
    }
  }
}
