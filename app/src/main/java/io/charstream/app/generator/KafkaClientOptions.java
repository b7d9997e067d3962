package io.charstream.app.generator;

import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Option;

/** {@code --bootstrap-servers} and {@code --client-config} of the generator's client commands. */
public final class KafkaClientOptions {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "Kafka brokers (default: ${DEFAULT-VALUE}; env CHARSTREAM_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Kafka client properties file (TLS, SASL, ...), passed through unchanged.")
  Path clientConfig;

  /** The common keys (bootstrap servers, topic prefix) from env + flags, validated. */
  EnvConfig config() {
    return EnvConfig.builder(CommonKeys.define(new ConfigDef()))
        .clientConfigFile(clientConfig)
        .override(CommonKeys.BOOTSTRAP_SERVERS, bootstrapServers)
        .build();
  }

  Map<String, Object> kafkaProps(EnvConfig config) {
    return config.kafkaClientProps();
  }
}
