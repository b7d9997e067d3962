package io.charstream.generator;

import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The generator worker's settings, each declared once with type, default, validator and doc, on top
 * of the common {@code bootstrap.servers} and {@code topic.prefix}. Every key is settable from the
 * environment as {@code CHARSTREAM_<KEY>} (upper case, '.' and '-' to '_'), e.g. {@code
 * CHARSTREAM_BATCH_CAPACITY=32}; Kafka client properties pass through unchanged from {@code
 * --client-config FILE} and {@code CHARSTREAM_KAFKA_<PROP>} (see {@link EnvConfig}). Invalid values
 * fail at start-up with the key named.
 */
public final class GeneratorConfig {

  public static final String GROUP_ID = "group.id";
  public static final String INSTANCE_ID = "instance.id";
  public static final String BATCH_CAPACITY = "batch.capacity";
  public static final String QUEUE_CAPACITY = "queue.capacity";
  public static final String QUEUE_MAX_WAIT_MS = "queue.max-wait-ms";
  public static final String REPLY_TOPIC_PATTERN = "reply.topic-pattern";
  public static final String PRIORITY_BATCH_EVERY = "priority.batch-every";
  public static final String N_MAX = "n.max";
  public static final String PROMPT_MAX_CHARS = "prompt.max-chars";
  public static final String LENGTH_MAX = "length.max";
  public static final String STOP_MAX = "stop.max";
  public static final String MODEL_DEFAULT_ID = "model.default-id";
  public static final String MODEL_KEEP_VERSIONS = "model.keep-versions";
  public static final String MODEL_WAIT_MS = "model.wait-ms";
  public static final String COMMIT_INTERVAL_MS = "commit.interval-ms";
  public static final String PRIME_BUDGET_CHARS = "prime.budget-chars";
  public static final String POLL_IDLE_MS = "poll.idle-ms";
  public static final String POLL_BUSY_MS = "poll.busy-ms";
  public static final String HTTP_PORT = "http.port";
  public static final String SHUTDOWN_DRAIN_MS = "shutdown.drain-ms";
  public static final String HEALTH_STALL_MS = "health.stall-ms";

  public static final ConfigDef DEF =
      CommonKeys.define(new ConfigDef())
          .define(
              GROUP_ID,
              Type.STRING,
              "charstream-generator",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Consumer group of the generator workers: instances in one group share the request partitions.")
          .define(
              INSTANCE_ID,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Name of this instance, used in its transactional.id and client.id; empty = host name plus a random"
                  + " suffix. Give each replica its own (e.g. the pod name).")
          .define(
              BATCH_CAPACITY,
              Type.INT,
              64,
              Range.between(1, 1024),
              Importance.HIGH,
              "Slots stepped together in one batched step: the most requests generating at once. 1 turns batching off.")
          .define(
              QUEUE_CAPACITY,
              Type.INT,
              64,
              Range.between(1, 100_000),
              Importance.MEDIUM,
              "Requests fetched and waiting for a slot before the worker pauses its partitions (resumes at half).")
          .define(
              QUEUE_MAX_WAIT_MS,
              Type.LONG,
              0L,
              Range.between(0, 86_400_000),
              Importance.MEDIUM,
              "Longest a request without its own timeoutMs may wait for a slot, counted from its record"
                  + " timestamp; past it the request is answered with error kind deadline-exceeded and"
                  + " not generated. 0 = no bound. A running request is never cut by this.")
          .define(
              REPLY_TOPIC_PATTERN,
              Type.STRING,
              GeneratorWorker.Settings.DEFAULT_REPLY_TOPICS.pattern(),
              ConfigDef.LambdaValidator.with(
                  GeneratorConfig::validRegex, () -> "a Java regular expression"),
              Importance.MEDIUM,
              "Java regular expression (whole name) of the topics a request may name in its"
                  + " kafka_replyTopic header (Spring Kafka's request/reply); its responses then go"
                  + " there. Other reply topics, missing ones and bad kafka_replyPartition values are"
                  + " answered with error kind reply-topic-not-allowed on the responses topic, which"
                  + " is always allowed. Topics named by it must exist.")
          .define(
              PRIORITY_BATCH_EVERY,
              Type.INT,
              AdmissionQueue.DEFAULT_BATCH_EVERY,
              Range.between(2, 1_000),
              Importance.LOW,
              "Free slots go to interactive requests first; while batch requests (priority batch) wait,"
                  + " at least one of every this many slots handed out goes to the oldest of them, so"
                  + " batch work is never starved (2: every other slot).")
          .define(
              N_MAX,
              Type.INT,
              4,
              Range.between(1, 1_024),
              Importance.LOW,
              "Most samples a request may ask for (n); each takes a slot, so a request never gets more"
                  + " than batch.capacity. More get an invalid-option error.")
          .define(
              PROMPT_MAX_CHARS,
              Type.INT,
              4096,
              Range.between(1, 1_000_000),
              Importance.MEDIUM,
              "Longest accepted prompt, in characters; longer ones get an error response.")
          .define(
              LENGTH_MAX,
              Type.INT,
              10_000,
              Range.between(1, 1_000_000),
              Importance.MEDIUM,
              "Largest accepted length (a request without one asks for 1024, the reference's default); requests asking for more get an error response.")
          .define(
              STOP_MAX,
              Type.INT,
              16,
              Range.between(0, 1_000),
              Importance.LOW,
              "Most stop strings per request (each at most 64 characters).")
          .define(
              MODEL_DEFAULT_ID,
              Type.STRING,
              "default",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Model id used when a request names none (its latest loaded version).")
          .define(
              MODEL_KEEP_VERSIONS,
              Type.INT,
              3,
              Range.between(1, 100),
              Importance.LOW,
              "Loaded versions kept per model id, so requests may pin a recent older version.")
          .define(
              MODEL_WAIT_MS,
              Type.LONG,
              10_000L,
              Range.between(0, 600_000),
              Importance.LOW,
              "How long a request for a model id or version this worker has not seen yet waits for it (a checkpoint"
                  + " published a moment earlier may still be on its way) before it gets an unknown-model error.")
          .define(
              COMMIT_INTERVAL_MS,
              Type.INT,
              100,
              Range.between(1, 60_000),
              Importance.MEDIUM,
              "How often streamed chunks of running requests go into a transaction: the granularity in which a"
                  + " read_committed client sees a stream. Final responses, errors and dead letters do not wait"
                  + " for it: each goes into the next transaction, which starts as soon as the previous one"
                  + " has committed.")
          .define(
              PRIME_BUDGET_CHARS,
              Type.INT,
              4096,
              Range.between(1, 10_000_000),
              Importance.LOW,
              "Prompt characters primed between two batched steps (at least one request is always primed), so"
                  + " long prompts cannot stall the running requests or the consumer's polling.")
          .define(
              POLL_IDLE_MS,
              Type.INT,
              100,
              Range.between(1, 10_000),
              Importance.LOW,
              "Poll timeout when nothing is generating (a record arriving ends the wait; 1 ms while a"
                  + " transaction is in flight).")
          .define(
              POLL_BUSY_MS,
              Type.INT,
              1,
              Range.between(0, 1_000),
              Importance.LOW,
              "While generating, the worker polls (without waiting) at most this often, between batched steps,"
                  + " while a new request could start; with every slot taken (or as many requests queued as"
                  + " slots free) it polls only every poll.idle-ms.")
          .define(
              HTTP_PORT,
              Type.INT,
              8080,
              Range.between(-1, 65_535),
              Importance.MEDIUM,
              "Port of /metrics (Prometheus), /livez and /readyz; 0 = any free port, -1 = no HTTP server.")
          .define(
              SHUTDOWN_DRAIN_MS,
              Type.LONG,
              20_000L,
              Range.between(0, 3_600_000),
              Importance.MEDIUM,
              "On shutdown (SIGTERM) the worker stops fetching and finishes running requests for up to this"
                  + " long, then hands the rest back to the group uncommitted.")
          .define(
              HEALTH_STALL_MS,
              Type.LONG,
              60_000L,
              Range.between(1_000, 3_600_000),
              Importance.LOW,
              "/livez fails when the worker loop has not turned for this long.");

  private static void validRegex(String name, Object value) {
    try {
      Pattern.compile((String) value);
    } catch (PatternSyntaxException | NullPointerException e) {
      throw new ConfigException(name, value, "not a Java regular expression: " + e.getMessage());
    }
  }

  private final EnvConfig config;
  private final String instanceId;

  public GeneratorConfig(EnvConfig config) {
    this.config = config;
    String id = config.getString(INSTANCE_ID);
    this.instanceId =
        id.isEmpty()
            ? hostName() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24))
            : id;
    if (!instanceId.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new ConfigException(
          INSTANCE_ID, instanceId, "use 1-200 characters of A-Z a-z 0-9 . _ -");
    }
  }

  /**
   * A config from the defaults, {@code env} (as if it were the environment: CHARSTREAM_* keys and
   * CHARSTREAM_KAFKA_* client properties) and {@code overrides}; the process environment is
   * ignored. For tests and the benchmark.
   */
  public static GeneratorConfig of(Map<String, ?> overrides, Map<String, String> env) {
    EnvConfig.Builder b = EnvConfig.builder(DEF).env(env);
    overrides.forEach(b::override);
    return new GeneratorConfig(b.build());
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
    } catch (UnknownHostException e) {
      return "generator";
    }
  }

  public EnvConfig env() {
    return config;
  }

  public Topics topics() {
    return CommonKeys.topics(config);
  }

  /** This instance's name (configured, or host name plus a random suffix). */
  public String instanceId() {
    return instanceId;
  }

  int getInt(String key) {
    return config.getInt(key);
  }

  long getLong(String key) {
    return config.getLong(key);
  }

  String getString(String key) {
    return config.getString(key);
  }

  /** Pass-through Kafka client properties plus bootstrap.servers. */
  Map<String, Object> kafkaClientProps() {
    return config.kafkaClientProps();
  }
}
