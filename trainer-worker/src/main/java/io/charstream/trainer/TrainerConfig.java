package io.charstream.trainer;

import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The trainer worker's typed configuration. Every key has a default, a validator and a doc, and can
 * be set from the environment ({@code CHARSTREAM_<KEY>}); {@link #DEF} is also the source of the
 * README's configuration table.
 */
public record TrainerConfig(
    Topics topics,
    String groupId,
    String applicationId,
    String workerId,
    int maxConcurrentJobs,
    Path stateDir,
    int stateEverySteps,
    Duration corpusWait,
    Duration handoverTimeout,
    int httpPort,
    Duration healthStall,
    Limits limits,
    EnvConfig source) {

  public static final String GROUP_ID = "group.id";
  public static final String APPLICATION_ID = "streams.application.id";
  public static final String WORKER_ID = "worker.id";
  public static final String MAX_CONCURRENT_JOBS = "max.concurrent.jobs";
  public static final String STATE_DIR = "streams.state.dir";
  public static final String STATE_EVERY_STEPS = "training-state.every.steps";
  public static final String CORPUS_WAIT_MS = "corpus.wait-ms";
  public static final String HANDOVER_TIMEOUT_MS = "handover.timeout-ms";
  public static final String HTTP_PORT = "http.port";
  public static final String HEALTH_STALL_MS = "health.stall-ms";

  /**
   * The names {@link #CORPUS_WAIT_MS} and {@link #HANDOVER_TIMEOUT_MS} had before both workers used
   * the generator's {@code -ms} style: still read (in a config file or as an override) when the new
   * key is not set. The environment variable is the same for both names.
   */
  public static final String CORPUS_WAIT_MS_ALIAS = "corpus.wait.ms";

  public static final String HANDOVER_TIMEOUT_MS_ALIAS = "handover.timeout.ms";
  public static final String MAX_PARAMETERS = "max.parameters";
  public static final String MAX_SEQ_LEN = "max.seq.len";
  public static final String MAX_BATCH_SIZE = "max.batch.size";
  public static final String MAX_NUM_EPOCHS = "max.num.epochs";
  public static final String MAX_CORPUS_BYTES = "max.corpus.bytes";
  public static final String MAX_BATCH_FLOATS = "max.batch.activation.floats";

  /**
   * What the trainer refuses to train (rejected status), so that one request cannot exhaust a
   * worker.
   *
   * @param maxBatchActivationFloats upper bound of batchSize x seqLen x (embeddingSize + rnnSize x
   *     numLayers x 6 + vocab), a proxy of the activation memory (4 bytes each) of one training
   *     step that also bounds its time (deploy/README.md, "Probes")
   */
  public record Limits(
      long maxParameters,
      int maxSeqLen,
      int maxBatchSize,
      int maxNumEpochs,
      long maxCorpusBytes,
      long maxBatchActivationFloats) {}

  private static final Range CORPUS_WAIT_RANGE = Range.between(0, 3_600_000);
  private static final Range HANDOVER_TIMEOUT_RANGE = Range.between(1_000, 3_600_000);

  public static final ConfigDef DEF =
      alias(
              alias(
                  CommonKeys.define(new ConfigDef()),
                  CORPUS_WAIT_MS_ALIAS,
                  CORPUS_WAIT_MS,
                  CORPUS_WAIT_RANGE),
              HANDOVER_TIMEOUT_MS_ALIAS,
              HANDOVER_TIMEOUT_MS,
              HANDOVER_TIMEOUT_RANGE)
          .define(
              GROUP_ID,
              Type.STRING,
              "charstream-trainer",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Consumer group of the trainers: replicas with the same group share the training-requests partitions "
                  + "(one job per partition at a time, so one job per model).")
          .define(
              APPLICATION_ID,
              Type.STRING,
              "charstream-trainer-index",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Kafka Streams application id of the corpus index and job tables (internal topics are "
                  + "named after it).")
          .define(
              WORKER_ID,
              Type.STRING,
              "",
              Importance.LOW,
              "Name of this worker in status events and dead-letter headers; empty = host name and process id.")
          .define(
              MAX_CONCURRENT_JOBS,
              Type.INT,
              1,
              Range.between(1, 64),
              Importance.HIGH,
              "Jobs this worker trains at once, each on its own thread. On 2 cores, 1.")
          .define(
              STATE_DIR,
              Type.STRING,
              "",
              Importance.LOW,
              "Kafka Streams state directory; empty = a fresh directory under java.io.tmpdir.")
          .define(
              STATE_EVERY_STEPS,
              Type.INT,
              200,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Also save the full training state (Adam, position) to the training-state topic every this many batches "
                  + "inside an epoch, so a crash loses at most this much work; 0 = at epoch ends only.")
          .define(
              CORPUS_WAIT_MS,
              Type.LONG,
              30_000L,
              CORPUS_WAIT_RANGE,
              Importance.LOW,
              "How long a request waits for its corpus to appear (or finish uploading) in the corpus index before it is "
                  + "rejected.")
          .define(
              HANDOVER_TIMEOUT_MS,
              Type.LONG,
              60_000L,
              HANDOVER_TIMEOUT_RANGE,
              Importance.LOW,
              "On a rebalance or shutdown, how long to wait for a running job to save its state and stop.")
          .define(
              HTTP_PORT,
              Type.INT,
              8081,
              Range.between(-1, 65_535),
              Importance.MEDIUM,
              "Port of /metrics (Prometheus), /livez and /readyz; 0 = any free port, -1 = no HTTP server. "
                  + "The default is the generator's plus one, so both workers run on one host.")
          .define(
              HEALTH_STALL_MS,
              Type.LONG,
              180_000L,
              Range.between(1_000, 3_600_000),
              Importance.LOW,
              "/livez fails when the request loop or a Kafka Streams thread has not turned (polled) for this long. "
                  + "Must be longer than handover.timeout-ms: on a rebalance the request loop waits up to that "
                  + "long for running jobs to save their state.")
          .define(
              MAX_PARAMETERS,
              Type.LONG,
              5_000_000L,
              Range.between(1, 100_000_000),
              Importance.MEDIUM,
              "Largest model (parameters) accepted; the checkpoint with Adam state (12 bytes per parameter, base64) "
                  + "must fit the training-state topic's max.message.bytes.")
          .define(
              MAX_SEQ_LEN,
              Type.INT,
              4096,
              Range.between(1, 65536),
              Importance.LOW,
              "Largest seqLen accepted.")
          .define(
              MAX_BATCH_SIZE,
              Type.INT,
              4096,
              Range.between(1, 65536),
              Importance.LOW,
              "Largest batchSize accepted.")
          .define(
              MAX_NUM_EPOCHS,
              Type.INT,
              10_000,
              Range.between(1, 1_000_000),
              Importance.LOW,
              "Largest numEpochs accepted.")
          .define(
              MAX_CORPUS_BYTES,
              Type.LONG,
              256L * 1024 * 1024,
              Range.between(1, 2L * 1024 * 1024 * 1024),
              Importance.LOW,
              "Largest corpus (UTF-8 bytes) a job reads.")
          .define(
              MAX_BATCH_FLOATS,
              Type.LONG,
              200_000_000L,
              Range.atLeast(1),
              Importance.LOW,
              "Largest batchSize x seqLen x (embeddingSize + 6 x rnnSize x numLayers + vocabulary) accepted: a "
                  + "proxy of one step's activation memory in floats (200 M = 0.8 GB), which also bounds the "
                  + "longest step (with max.parameters). Whatever this allows, a job must also fit in the heap: "
                  + "a request needing more than (-Xmx - 128 MB) / max.concurrent.jobs (about 18 bytes of heap per "
                  + "float plus 40 MB, x 1.5) is rejected.");

  /** Reads and validates the config; every bad value fails here, at start-up. */
  public static TrainerConfig from(EnvConfig c) {
    String worker =
        c.getString(WORKER_ID).isBlank()
            ? hostName() + "-" + ProcessHandle.current().pid()
            : c.getString(WORKER_ID);
    String dir = c.getString(STATE_DIR);
    Duration handover = millis(c, HANDOVER_TIMEOUT_MS, HANDOVER_TIMEOUT_MS_ALIAS);
    Duration stall = Duration.ofMillis(c.getLong(HEALTH_STALL_MS));
    if (stall.compareTo(handover) <= 0) {
      throw new ConfigException(
          HEALTH_STALL_MS,
          stall.toMillis(),
          "must be longer than "
              + HANDOVER_TIMEOUT_MS
              + " ("
              + handover.toMillis()
              + " ms): on a rebalance the request loop waits that long for running jobs to save their"
              + " state, and /livez would call a trainer doing so dead; raise "
              + HEALTH_STALL_MS
              + " or lower "
              + HANDOVER_TIMEOUT_MS);
    }
    return new TrainerConfig(
        CommonKeys.topics(c),
        c.getString(GROUP_ID),
        c.getString(APPLICATION_ID),
        worker,
        c.getInt(MAX_CONCURRENT_JOBS),
        dir.isBlank() ? null : Path.of(dir),
        c.getInt(STATE_EVERY_STEPS),
        millis(c, CORPUS_WAIT_MS, CORPUS_WAIT_MS_ALIAS),
        handover,
        c.getInt(HTTP_PORT),
        stall,
        new Limits(
            c.getLong(MAX_PARAMETERS),
            c.getInt(MAX_SEQ_LEN),
            c.getInt(MAX_BATCH_SIZE),
            c.getInt(MAX_NUM_EPOCHS),
            c.getLong(MAX_CORPUS_BYTES),
            c.getLong(MAX_BATCH_FLOATS)),
        c);
  }

  /** An old key name, read only when the new one is left at its default. */
  private static ConfigDef alias(ConfigDef def, String alias, String key, Range range) {
    return def.define(
        alias,
        Type.LONG,
        null,
        ConfigDef.LambdaValidator.with(
            (name, value) -> {
              if (value != null) range.ensureValid(name, value);
            },
            () -> range + " or unset"),
        Importance.LOW,
        "Old name of "
            + key
            + ", still read when "
            + key
            + " is not set (same environment variable); unset = use "
            + key
            + ".");
  }

  /** The new key when it is set, else its old name when that is set, else the default. */
  private static Duration millis(EnvConfig c, String key, String alias) {
    Long old = c.getLong(alias);
    boolean keySet = !"default".equals(c.source(key));
    return Duration.ofMillis(keySet || old == null ? c.getLong(key) : old);
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "trainer";
    }
  }
}
