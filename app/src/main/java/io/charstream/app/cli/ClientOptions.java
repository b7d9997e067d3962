package io.charstream.app.cli;

import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Option;

/**
 * The options every worker and client command shares: where Kafka is, extra client properties, the
 * topic prefix. Used as a picocli {@code @Mixin}. Values not given as flags come from the
 * environment ({@code CHARSTREAM_BOOTSTRAP_SERVERS}, {@code CHARSTREAM_TOPIC_PREFIX}, {@code
 * CHARSTREAM_KAFKA_<PROPERTY>}) or the defaults.
 */
public final class ClientOptions {
  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description =
          "Kafka brokers (default: env CHARSTREAM_BOOTSTRAP_SERVERS or "
              + CommonKeys.DEFAULT_BOOTSTRAP_SERVERS
              + ").")
  String bootstrapServers;

  @Option(
      names = "--client-config",
      paramLabel = "FILE",
      description =
          "Kafka client properties file (security.protocol, sasl.*, ssl.*, ...), passed through unchanged.")
  Path clientConfig;

  @Option(
      names = "--topic-prefix",
      paramLabel = "PREFIX",
      description =
          "Prefix of the charstream topics (default: env CHARSTREAM_TOPIC_PREFIX or "
              + Topics.DEFAULT_PREFIX
              + ").")
  String topicPrefix;

  /** Sets the options programmatically (tests, the demo). */
  public static ClientOptions of(String bootstrapServers, String topicPrefix) {
    ClientOptions o = new ClientOptions();
    o.bootstrapServers = bootstrapServers;
    o.topicPrefix = topicPrefix;
    return o;
  }

  public ClientOptions withClientConfig(Path file) {
    clientConfig = file;
    return this;
  }

  /**
   * A validated config of {@code def} (which must include {@link CommonKeys}) with these flags as
   * overrides (a null value is a flag not given: ignored); a missing client config file is an error
   * that says so.
   */
  public EnvConfig config(ConfigDef def, Path propertiesFile, Map<String, Object> overrides) {
    if (clientConfig != null && !Files.isReadable(clientConfig)) {
      throw new IllegalArgumentException(
          "--client-config " + clientConfig + ": file not found or not readable");
    }
    EnvConfig.Builder b =
        EnvConfig.builder(def)
            .propertiesFile(propertiesFile)
            .clientConfigFile(clientConfig)
            .override(CommonKeys.BOOTSTRAP_SERVERS, bootstrapServers)
            .override(CommonKeys.TOPIC_PREFIX, topicPrefix);
    overrides.forEach(b::override);
    return b.build();
  }

  /**
   * Whether a Kafka cluster is named (by flag, environment or client config), rather than the
   * default address: {@code up} and {@code demo} then start no broker of their own.
   */
  public boolean clusterGiven() {
    return !"default".equals(config().source(CommonKeys.BOOTSTRAP_SERVERS));
  }

  /** The config of a plain client command: just the common keys. */
  public EnvConfig config() {
    return config(CommonKeys.define(new ConfigDef()), null, Map.of());
  }
}
