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
      "Data persists in --data-dir, so a restarted broker keeps its corpora, jobs and checkpoints.",
      "With --secure DIR it runs as production does: TLS + SCRAM-SHA-512 and the ACLs of",
      "deploy/k8s/strimzi/users.yaml, with a client properties file per user written into DIR."
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

  @Option(
      names = "--secure",
      paramLabel = "DIR",
      description = {
        "Production security, locally: the client port takes only SASL_SSL (TLS, a throwaway CA",
        "made in DIR) with SCRAM-SHA-512 as one of the KafkaUsers of the deploy manifests, each",
        "with exactly its manifest ACLs (StandardAuthorizer; anonymous clients are refused).",
        "DIR gets ca.crt and trainer/generator/keda/client.properties (--client-config FILE);",
        "a reused DIR keeps its certificates and passwords."
      })
  Path secureDir;

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
      EmbeddedBroker.Options options = new EmbeddedBroker.Options(port, dataDir, topics, Map.of());
      broker = EmbeddedBroker.start(secureDir == null ? options : options.withSecureDir(secureDir));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
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
    broker.security().ifPresent(s -> System.out.println(secureHints(s, broker.bootstrapServers())));
    System.out.flush();
    hook.awaitStopped();
    return 0;
  }

  /** What a user of the secure broker needs: the files, and how to use them (no secret). */
  public static String secureHints(LocalSecurity s, String bootstrap) {
    StringBuilder sb =
        new StringBuilder("SASL_SSL + SCRAM-SHA-512 only, ACLs of deploy/k8s/strimzi/users.yaml:");
    for (KafkaUsers.User u : s.users()) {
      sb.append("\n  ")
          .append(u.name())
          .append(" (")
          .append(u.acls().size())
          .append(" ACLs): --client-config ")
          .append(s.propertiesFile(u.name()));
    }
    sb.append("\n  CA certificate: ").append(s.caFile());
    sb.append("\nTry: charstream trainer --client-config ")
        .append(s.propertiesFile("charstream-trainer"))
        .append("\n     charstream generator --client-config ")
        .append(s.propertiesFile("charstream-generator"))
        .append("\n     charstream prompt --client-config ")
        .append(s.propertiesFile("charstream-client"))
        .append(" --seed KING")
        .append("\nkcat: -b ")
        .append(bootstrap)
        .append(
            " -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X ssl.ca.location=")
        .append(s.caFile())
        .append(
            " -X sasl.username=charstream-client -X sasl.password=... (the password is in the"
                + " file's sasl.jaas.config)");
    return sb.toString();
  }
}
