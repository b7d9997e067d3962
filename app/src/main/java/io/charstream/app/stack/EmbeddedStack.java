package io.charstream.app.stack;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole charstream loop in one JVM: an embedded Kafka broker (or an external cluster), a
 * trainer worker and a generator worker, started in that order and closed in reverse. What {@code
 * charstream up} keeps running and {@code charstream demo} drives; the workers are the same classes
 * {@code charstream trainer} and {@code charstream generator} run.
 */
public final class EmbeddedStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStack.class);

  /**
   * Builds a validated config of a {@link ConfigDef} from the command's flags and the environment,
   * with {@code overrides} on top: {@code ClientOptions::config} in the commands, a fixed map in
   * tests.
   */
  @FunctionalInterface
  public interface Settings {
    EnvConfig config(ConfigDef def, Map<String, Object> overrides);
  }

  /**
   * What to start.
   *
   * @param broker the embedded broker's settings, or empty to use the cluster the settings name
   * @param workers start a trainer and a generator in this JVM (false: only reach Kafka)
   * @param trainerSettings trainer keys set by the command (over the environment)
   * @param generatorSettings generator keys set by the command (over the environment)
   * @param settings flags, client config file and environment of every config
   */
  public record Options(
      Optional<BrokerSettings> broker,
      boolean workers,
      Map<String, Object> trainerSettings,
      Map<String, Object> generatorSettings,
      Settings settings) {
    public Options {
      trainerSettings = Map.copyOf(trainerSettings);
      generatorSettings = Map.copyOf(generatorSettings);
    }
  }

  /**
   * @param port client port on 127.0.0.1, 0 = any free one
   * @param dataDir the stack's data directory (broker log in {@code kafka/}, trainer tables in
   *     {@code trainer-state/}); null = a temporary one, deleted on close
   * @param secureDir null, or the broker's secure mode ({@code --secure DIR}): the trainer, the
   *     generator and the stack's clients then each connect as their own KafkaUser
   */
  public record BrokerSettings(int port, Path dataDir, Path secureDir) {
    public BrokerSettings {
      if (port < 0 || port > 65535)
        throw new IllegalArgumentException("--port must be 0..65535, got " + port);
    }

    public BrokerSettings(int port, Path dataDir) {
      this(port, dataDir, null);
    }

    /** These settings, or none when the stack uses a cluster it is given ({@code external}). */
    public static Optional<BrokerSettings> unless(boolean external, int port, Path dataDir) {
      return external ? Optional.empty() : Optional.of(new BrokerSettings(port, dataDir));
    }

    /** Where {@code charstream broker} keeps its log too, so both commands see the same data. */
    public Path kafkaDir() {
      return dataDir == null ? null : dataDir.resolve("kafka");
    }
  }

  private final EmbeddedBroker broker;
  private final Topics topics;
  private final Map<String, Object> clientProps;
  private TrainerWorker trainer;
  private GeneratorService generator;
  private boolean closed;

  private EmbeddedStack(EmbeddedBroker broker, Topics topics, Map<String, Object> clientProps) {
    this.broker = broker;
    this.topics = topics;
    this.clientProps = Map.copyOf(clientProps);
  }

  /**
   * Starts what {@code options} asks for; on any failure stops what already started and rethrows (a
   * {@link org.apache.kafka.common.config.ConfigException} for a bad setting, a {@link
   * io.charstream.app.broker.BrokerStartException} when the broker cannot start).
   */
  public static EmbeddedStack start(Options options) {
    EnvConfig common = options.settings().config(CommonKeys.define(new ConfigDef()), Map.of());
    Topics topics = CommonKeys.topics(common);
    EmbeddedBroker broker =
        options
            .broker()
            .map(
                b -> {
                  EmbeddedBroker.Options o =
                      new EmbeddedBroker.Options(b.port(), b.kafkaDir(), topics, Map.of());
                  return EmbeddedBroker.start(
                      b.secureDir() == null ? o : o.withSecureDir(b.secureDir()));
                })
            .orElse(null);
    Map<String, Object> clientProps = new HashMap<>(common.kafkaClientProps());
    if (broker != null) clientProps.put(CommonKeys.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    if (broker != null && broker.security().isPresent()) {
      clientProps =
          new HashMap<>(
              broker.security().get().clientProps("charstream-client", broker.bootstrapServers()));
    }
    EmbeddedStack stack = new EmbeddedStack(broker, topics, clientProps);
    if (!options.workers()) return stack;
    try {
      stack.startWorkers(options);
    } catch (IOException e) {
      stack.close();
      throw new UncheckedIOException("the generator could not start: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
    return stack;
  }

  private void startWorkers(Options options) throws IOException {
    // The embedded broker's address replaces the default; an external one is the same value again.
    Map<String, Object> own = Map.of(CommonKeys.BOOTSTRAP_SERVERS, bootstrapServers());
    Map<String, Object> trainerSettings = new HashMap<>(options.trainerSettings());
    if (broker != null && options.broker().get().dataDir() != null) {
      // A persistent stack keeps the trainer's tables too, so a restart does not rebuild them.
      trainerSettings.putIfAbsent(
          TrainerConfig.STATE_DIR,
          options.broker().get().dataDir().resolve("trainer-state").toString());
    }
    trainerSettings.putAll(own);
    trainer =
        TrainerWorker.start(
            asUser(
                "charstream-trainer",
                options.settings().config(TrainerConfig.DEF, trainerSettings)));
    Map<String, Object> generatorSettings = new HashMap<>(options.generatorSettings());
    generatorSettings.putAll(own);
    generator =
        GeneratorService.start(
            new GeneratorConfig(
                asUser(
                    "charstream-generator",
                    options.settings().config(GeneratorConfig.DEF, generatorSettings))));
    LOG.info(
        "trainer {} and generator {} running against {}",
        trainer.config().workerId(),
        generator.instanceId(),
        bootstrapServers());
  }

  /** {@code config} with the Kafka settings of {@code user} when the embedded broker is secure. */
  private EnvConfig asUser(String user, EnvConfig config) {
    if (broker == null || broker.security().isEmpty()) return config;
    return config.withKafkaClientProps(
        broker.security().get().clientProps(user, broker.bootstrapServers()));
  }

  /** The brokers every client of this stack uses. */
  public String bootstrapServers() {
    return (String) clientProps.get(CommonKeys.BOOTSTRAP_SERVERS);
  }

  /**
   * Kafka client properties (bootstrap servers plus the pass-through ones) that reach this stack.
   */
  public Map<String, Object> clientProps() {
    return clientProps;
  }

  public Topics topics() {
    return topics;
  }

  /** The embedded broker, if this stack runs one. */
  public Optional<EmbeddedBroker> broker() {
    return Optional.ofNullable(broker);
  }

  /** The generator worker, if this stack runs the workers. */
  public Optional<GeneratorService> generator() {
    return Optional.ofNullable(generator);
  }

  /** The trainer worker, if this stack runs the workers. */
  public Optional<TrainerWorker> trainer() {
    return Optional.ofNullable(trainer);
  }

  /** Stops the generator (drains), the trainer (hands jobs over), then the broker. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    RuntimeException first = null;
    for (AutoCloseable part : new AutoCloseable[] {generator, trainer, broker}) {
      if (part == null) continue;
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", part.getClass().getSimpleName(), e.toString());
        if (first == null)
          first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
    }
    if (first != null) throw first;
  }
}
