package io.charstream.app.broker;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code charstream broker}: a real single-node Kafka broker in this JVM, until Ctrl-C. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a single-node Kafka broker (KRaft, in-process) on 127.0.0.1 with the charstream topics.",
      "Data persists in --data-dir, so a restarted broker keeps its corpora, jobs and checkpoints."
    })
public final class BrokerCommand extends CliCommand {
  /** Where {@code charstream broker} keeps its data unless told otherwise. */
  public static final Path DEFAULT_DATA_DIR =
      Path.of(System.getProperty("user.home"), ".charstream", "kafka");

  @Option(
      names = "--port",
      defaultValue = "9092",
      paramLabel = "PORT",
      description = "Client port on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Broker data directory. Default: ~/.charstream/kafka.")
  Path dataDir = DEFAULT_DATA_DIR;

  @Option(
      names = "--topic-prefix",
      defaultValue = Topics.DEFAULT_PREFIX,
      paramLabel = "PREFIX",
      description = "Prefix of the topics to create. Default: ${DEFAULT-VALUE}.")
  String topicPrefix;

  @Override
  protected int run(PrintWriter err) throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new UserError("--port must be 0..65535, got " + port);
    }
    Topics topics;
    try {
      topics = new Topics(topicPrefix);
    } catch (IllegalArgumentException e) {
      throw new UserError("--topic-prefix: " + e.getMessage());
    }
    EmbeddedBroker broker;
    try {
      broker = EmbeddedBroker.start(new EmbeddedBroker.Options(port, dataDir, topics, Map.of()));
    } catch (BrokerStartException e) {
      throw new CommandFailed(
          e.getMessage()
              + (port != 0 ? " (is port " + port + " in use? try --port 0 or another port)" : ""),
          e);
    }
    ShutdownHook hook = ShutdownHook.install("broker", broker::close);
    System.out.println(
        "charstream broker ready on "
            + broker.bootstrapServers()
            + " (data in "
            + broker.dataDir()
            + ", "
            + topics.all().size()
            + " topics with prefix "
            + topics.prefix()
            + "); Ctrl-C stops it");
    System.out.flush();
    hook.awaitStopped();
    return 0;
  }
}
