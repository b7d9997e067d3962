package io.charstream.schemas.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * A worker's typed configuration: Kafka's {@link ConfigDef} (name, type, default, validator, doc)
 * filled from, lowest to highest precedence, the defaults, a properties file, environment variables
 * ({@code CHARSTREAM_A_B_C} for key {@code a.b-c}) and explicit overrides (command-line flags).
 * Values are validated when the config is built, so a bad value stops start-up with a message
 * naming the key, the value and where it came from.
 *
 * <p>Kafka client properties (TLS, SASL, timeouts, ...) pass through unchanged, lowest to highest:
 * a client properties file ({@code --client-config}), then env vars {@code CHARSTREAM_KAFKA_<PROP>}
 * ({@code CHARSTREAM_KAFKA_SECURITY_PROTOCOL} -> {@code security.protocol}). {@link #toString()}
 * hides secrets, so the config can be logged.
 */
public final class EnvConfig extends AbstractConfig {
  public static final String ENV_PREFIX = "CHARSTREAM_";
  public static final String KAFKA_ENV_PREFIX = "CHARSTREAM_KAFKA_";
  private static final Pattern SECRET =
      Pattern.compile(
          ".*(password|secret|jaas|token|credential|ssl\\.key\\b|basic\\.auth\\.user\\.info).*",
          Pattern.CASE_INSENSITIVE);

  private final ConfigDef def;
  private final Map<String, String> sources;
  private final Map<String, Object> clientProps;

  private EnvConfig(
      ConfigDef def,
      Map<String, Object> raw,
      Map<String, String> sources,
      Map<String, Object> clientProps) {
    super(def, raw, false);
    this.def = def;
    this.sources = Map.copyOf(sources);
    this.clientProps = clientProps;
  }

  public static Builder builder(ConfigDef def) {
    return new Builder(def);
  }

  /** {@code a.b-c} -> {@code CHARSTREAM_A_B_C}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** {@code CHARSTREAM_KAFKA_SECURITY_PROTOCOL} -> {@code security.protocol}. */
  public static String kafkaPropertyOf(String envName) {
    return envName.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** True for property names whose values must never reach a log. */
  public static boolean isSecret(String key) {
    return SECRET.matcher(key).matches();
  }

  /** Where a key's value came from: default, file PATH, env NAME or override. */
  public String source(String key) {
    return sources.getOrDefault(key, "default");
  }

  /**
   * The Kafka client properties to start every producer, consumer, admin and Streams client with:
   * the pass-through properties, plus {@code bootstrap.servers} from this config when it defines
   * that key (unless only its default is set and the pass-through names one).
   */
  public Map<String, Object> kafkaClientProps() {
    Map<String, Object> props = new TreeMap<>(clientProps);
    String bs = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
    if (values().containsKey(bs) && !(props.containsKey(bs) && "default".equals(source(bs)))) {
      props.put(bs, getString(bs));
    }
    return props;
  }

  /**
   * This config with {@code props} in place of its pass-through Kafka client properties: how {@code
   * charstream up --secure} gives each worker its own KafkaUser's settings.
   */
  public EnvConfig withKafkaClientProps(Map<String, Object> props) {
    return new EnvConfig(def, originals(), sources, new TreeMap<>(props));
  }

  /** Every key with its value and source, secrets hidden; safe to log. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("config:");
    for (Map.Entry<String, ?> e : new TreeMap<>(values()).entrySet()) {
      sb.append("\n  ")
          .append(e.getKey())
          .append(" = ")
          .append(redact(e.getKey(), e.getValue()))
          .append("  (")
          .append(source(e.getKey()))
          .append(')');
    }
    sb.append("\nkafka client properties:");
    for (Map.Entry<String, Object> e : new TreeMap<>(clientProps).entrySet()) {
      sb.append("\n  ").append(e.getKey()).append(" = ").append(redact(e.getKey(), e.getValue()));
    }
    return sb.toString();
  }

  private static String redact(String key, Object value) {
    if (value instanceof org.apache.kafka.common.config.types.Password) return "[hidden]";
    return isSecret(key) ? "[hidden]" : String.valueOf(value);
  }

  /** A Markdown table of every key: name, env var, type, default, valid values, doc. */
  public static String markdownTable(ConfigDef def) {
    StringBuilder sb =
        new StringBuilder(
            "| key | env | type | default | valid values | description |\n"
                + "|---|---|---|---|---|---|\n");
    for (ConfigDef.ConfigKey k : new TreeMap<>(def.configKeys()).values()) {
      String dflt =
          !k.hasDefault()
              ? "(required)"
              : k.defaultValue == null
                  ? ""
                  : isSecret(k.name)
                      ? "[hidden]"
                      : String.valueOf(ConfigDef.convertToString(k.defaultValue, k.type));
      sb.append("| `")
          .append(k.name)
          .append("` | `")
          .append(envName(k.name))
          .append("` | ")
          .append(k.type.name().toLowerCase(Locale.ROOT))
          .append(" | ")
          .append(cell(dflt))
          .append(" | ")
          .append(cell(k.validator == null ? "" : k.validator.toString()))
          .append(" | ")
          .append(cell(k.documentation))
          .append(" |\n");
    }
    return sb.toString();
  }

  private static String cell(String s) {
    return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
  }

  /** Collects the sources; {@link #build()} validates them. */
  public static final class Builder {
    private final ConfigDef def;
    private Path propertiesFile;
    private Path clientConfigFile;
    private Map<String, String> env = System.getenv();
    private final Map<String, Object> overrides = new TreeMap<>();

    private Builder(ConfigDef def) {
      this.def = def;
    }

    /** A properties file of this config's keys (unknown keys are an error); null for none. */
    public Builder propertiesFile(Path file) {
      this.propertiesFile = file;
      return this;
    }

    /** A properties file of Kafka client properties, passed through unchanged; null for none. */
    public Builder clientConfigFile(Path file) {
      this.clientConfigFile = file;
      return this;
    }

    /** The environment to read (default: the process environment); tests pass a map. */
    public Builder env(Map<String, String> environment) {
      this.env = Map.copyOf(environment);
      return this;
    }

    /** An explicit value (a command-line flag); a null value is ignored. */
    public Builder override(String key, Object value) {
      if (!def.names().contains(key)) {
        throw new IllegalArgumentException(
            "unknown config key '" + key + "' (known keys: " + new TreeSet<>(def.names()) + ")");
      }
      if (value != null) overrides.put(key, value instanceof Path ? value.toString() : value);
      return this;
    }

    /** Builds and validates; a ConfigException names the key, value and source. */
    public EnvConfig build() {
      Map<String, Object> raw = new TreeMap<>();
      Map<String, String> sources = new TreeMap<>();
      if (propertiesFile != null) {
        Properties p = load(propertiesFile, "config file");
        for (String k : p.stringPropertyNames()) {
          if (!def.names().contains(k)) {
            throw new ConfigException(
                "unknown config key '"
                    + k
                    + "' in "
                    + propertiesFile
                    + " (known keys: "
                    + new TreeSet<>(def.names())
                    + "; Kafka client properties go in the --client-config file)");
          }
          raw.put(k, p.getProperty(k).trim());
          sources.put(k, "file " + propertiesFile);
        }
      }
      for (String k : def.names()) {
        String v = env.get(envName(k));
        if (v != null) {
          raw.put(k, v.trim());
          sources.put(k, "env " + envName(k));
        }
      }
      for (Map.Entry<String, Object> e : overrides.entrySet()) {
        raw.put(e.getKey(), e.getValue());
        sources.put(e.getKey(), "override");
      }
      Map<String, Object> client = new TreeMap<>();
      if (clientConfigFile != null) {
        Properties p = load(clientConfigFile, "client config file");
        for (String k : p.stringPropertyNames()) client.put(k, p.getProperty(k));
      }
      for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
        if (e.getKey().startsWith(KAFKA_ENV_PREFIX)
            && e.getKey().length() > KAFKA_ENV_PREFIX.length()) {
          client.put(kafkaPropertyOf(e.getKey()), e.getValue());
        }
      }
      try {
        def.parse(raw);
      } catch (ConfigException e) {
        throw new ConfigException(
            e.getMessage()
                + where(e.getMessage(), sources)
                + ". See the configuration table in the README for valid values.");
      }
      return new EnvConfig(def, raw, sources, client);
    }

    private static String where(String message, Map<String, String> sources) {
      for (Map.Entry<String, String> e : sources.entrySet()) {
        if (message.contains(" " + e.getKey() + ":")
            || message.contains(" " + e.getKey() + " ")
            || message.endsWith(" " + e.getKey())) {
          return " (set by " + e.getValue() + ")";
        }
      }
      return "";
    }

    private static Properties load(Path file, String what) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new ConfigException("cannot read " + what + " " + file + ": " + e.getMessage());
      }
      return p;
    }
  }
}
