package io.charstream.schemas;

import io.charstream.schemas.json.JsonSerde;
import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The typed registry of every charstream topic: name (with a configurable prefix, default {@code
 * charstream.}), key and value serdes, partitions and topic configs. The embedded broker, the
 * workers and deploy/ all take topics from here.
 */
public final class Topics {
  public static final String DEFAULT_PREFIX = "charstream.";
  public static final String DLQ_SUFFIX = ".dlq";
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{0,200}");
  private static final int MIB = TopicSettings.MIB;
  private static final long DAY = TopicSettings.DAY_MS;

  private final String prefix;
  private final Topic<String, CorpusChunk> corpus;
  private final Topic<String, CorpusManifest> corpora;
  private final Topic<String, TrainingRequest> trainingRequests;
  private final Topic<String, CancelRequest> trainingControl;
  private final Topic<String, TrainingStatus> trainingStatus;
  private final Topic<String, CheckpointEvent> checkpoints;
  private final Topic<String, CheckpointEvent> trainingState;
  private final Topic<String, GenerateRequest> generateRequests;
  private final Topic<String, GenerateResponse> generateResponses;
  private final Map<Topic<?, ?>, Topic<byte[], byte[]>> deadLetters = new LinkedHashMap<>();

  public Topics(String prefix) {
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "topic prefix '"
              + prefix
              + "' is invalid: use up to 200 characters of A-Z a-z 0-9 . _ - (default "
              + DEFAULT_PREFIX
              + ")");
    }
    this.prefix = prefix;
    // Corpus chunks of <= 512 KiB of text stay below 4 MiB even if every character needs a JSON
    // escape.
    corpus =
        topic("corpus", CorpusChunk.class, new TopicSettings(3, TopicSettings.DELETE, -1, 4 * MIB));
    corpora =
        topic(
            "corpora", CorpusManifest.class, new TopicSettings(3, TopicSettings.COMPACT, -1, MIB));
    trainingRequests =
        topic(
            "training-requests",
            TrainingRequest.class,
            new TopicSettings(6, TopicSettings.DELETE, 7 * DAY, MIB));
    trainingControl =
        topic(
            "training-control",
            CancelRequest.class,
            new TopicSettings(1, TopicSettings.COMPACT, -1, MIB));
    trainingStatus =
        topic(
            "training-status",
            TrainingStatus.class,
            new TopicSettings(3, TopicSettings.COMPACT, -1, MIB));
    // Weights only: ~0.85 MB at the reference spec, base64 in JSON ~1.2 MB; room for ~12 M
    // parameters.
    checkpoints =
        topic(
            "checkpoints",
            CheckpointEvent.class,
            new TopicSettings(3, TopicSettings.COMPACT, -1, 64 * MIB));
    // With Adam state and training position: ~2.6 MB at the reference spec (~3.5 MB as base64);
    // kept
    // below the broker's default socket.request.max.bytes (100 MiB).
    trainingState =
        topic(
            "training-state",
            CheckpointEvent.class,
            new TopicSettings(3, TopicSettings.COMPACT, -1, 96 * MIB));
    generateRequests =
        topic(
            "generate-requests",
            GenerateRequest.class,
            new TopicSettings(12, TopicSettings.DELETE, DAY, MIB));
    generateResponses =
        topic(
            "generate-responses",
            GenerateResponse.class,
            new TopicSettings(12, TopicSettings.DELETE, DAY, 4 * MIB));
    for (Topic<?, ?> in : inputs()) {
      deadLetters.put(
          in,
          new Topic<>(
              in.logicalName() + DLQ_SUFFIX,
              in.name() + DLQ_SUFFIX,
              Serdes.ByteArray(),
              Serdes.ByteArray(),
              new TopicSettings(
                  1, TopicSettings.DELETE, 7 * DAY, in.settings().maxMessageBytes())));
    }
  }

  public static Topics defaults() {
    return new Topics(DEFAULT_PREFIX);
  }

  public String prefix() {
    return prefix;
  }

  /**
   * Corpus chunks, keyed by corpusId; kept forever (re-uploads append; the index points at the
   * latest).
   */
  public Topic<String, CorpusChunk> corpus() {
    return corpus;
  }

  /** The trainer's corpus index, keyed by corpusId (compacted). */
  public Topic<String, CorpusManifest> corpora() {
    return corpora;
  }

  /** Training requests, keyed by modelId, so one model's jobs run one at a time in order. */
  public Topic<String, TrainingRequest> trainingRequests() {
    return trainingRequests;
  }

  /** Cancel requests, keyed by jobId (compacted). */
  public Topic<String, CancelRequest> trainingControl() {
    return trainingControl;
  }

  /** Job status events, keyed by jobId (compacted: the latest event is the job's state). */
  public Topic<String, TrainingStatus> trainingStatus() {
    return trainingStatus;
  }

  /** Weights-only checkpoints for generators, keyed by modelId (compacted). */
  public Topic<String, CheckpointEvent> checkpoints() {
    return checkpoints;
  }

  /**
   * Full checkpoints with optimizer state for resuming, keyed by modelId (compacted;
   * trainer-internal).
   */
  public Topic<String, CheckpointEvent> trainingState() {
    return trainingState;
  }

  /** Generation requests, keyed by requestId. */
  public Topic<String, GenerateRequest> generateRequests() {
    return generateRequests;
  }

  /** Generation responses, keyed by requestId. */
  public Topic<String, GenerateResponse> generateResponses() {
    return generateResponses;
  }

  /** The topics that workers read from, each of which has a dead-letter topic. */
  public List<Topic<?, ?>> inputs() {
    return List.of(corpus, trainingRequests, trainingControl, checkpoints, generateRequests);
  }

  /**
   * The dead-letter topic of an input topic: {@code <name>.dlq}, original key and value bytes plus
   * error headers (see {@link DeadLetters}). It accepts records as large as its source.
   */
  public Topic<byte[], byte[]> deadLetter(Topic<?, ?> source) {
    Topic<byte[], byte[]> dlq = deadLetters.get(source);
    if (dlq == null) {
      throw new IllegalArgumentException(
          source.name() + " is not an input topic and has no dead-letter topic");
    }
    return dlq;
  }

  /** Every topic, dead-letter topics included, in a stable order: what a broker must have. */
  public List<Topic<?, ?>> all() {
    List<Topic<?, ?>> all =
        new ArrayList<>(
            List.of(
                corpus,
                corpora,
                trainingRequests,
                trainingControl,
                trainingStatus,
                checkpoints,
                trainingState,
                generateRequests,
                generateResponses));
    all.addAll(deadLetters.values());
    return List.copyOf(all);
  }

  private <V> Topic<String, V> topic(String logical, Class<V> type, TopicSettings settings) {
    Serde<String> keys = Serdes.String();
    return new Topic<>(logical, prefix + logical, keys, new JsonSerde<>(type), settings);
  }
}
