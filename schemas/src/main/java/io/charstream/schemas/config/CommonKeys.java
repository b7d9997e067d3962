package io.charstream.schemas.config;

import io.charstream.schemas.Topics;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef;

/** Config keys every charstream worker and client command has. */
public final class CommonKeys {
  public static final String BOOTSTRAP_SERVERS = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
  public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
  public static final String TOPIC_PREFIX = "topic.prefix";

  private CommonKeys() {}

  /** Adds {@code bootstrap.servers} and {@code topic.prefix} to a worker's definition. */
  public static ConfigDef define(ConfigDef def) {
    return def.define(
            BOOTSTRAP_SERVERS,
            ConfigDef.Type.STRING,
            DEFAULT_BOOTSTRAP_SERVERS,
            new ConfigDef.NonEmptyString(),
            ConfigDef.Importance.HIGH,
            "Kafka brokers to connect to, host:port[,host:port...]. Other client properties (TLS, SASL) "
                + "come from --client-config FILE or CHARSTREAM_KAFKA_<PROPERTY> env vars.")
        .define(
            TOPIC_PREFIX,
            ConfigDef.Type.STRING,
            Topics.DEFAULT_PREFIX,
            new PrefixValidator(),
            ConfigDef.Importance.MEDIUM,
            "Prefix of every charstream topic name.");
  }

  private static final class PrefixValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      try {
        new Topics((String) value);
      } catch (IllegalArgumentException e) {
        throw new org.apache.kafka.common.config.ConfigException(name, value, e.getMessage());
      }
    }

    @Override
    public String toString() {
      return "up to 200 characters of A-Z a-z 0-9 . _ -";
    }
  }

  /** The topic registry for a config that has {@link #TOPIC_PREFIX}. */
  public static Topics topics(EnvConfig config) {
    return new Topics(config.getString(TOPIC_PREFIX));
  }
}
