package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import java.util.Base64;
import java.util.List;

/**
 * A published model checkpoint. On {@code charstream.checkpoints} (compacted, keyed by modelId) it
 * carries the weights only, for generators; on the trainer's internal {@code
 * charstream.training-state} it carries the full checkpoint with Adam and RNG state and the data
 * position, for resuming. The weights travel inside the record ({@link Weights}).
 *
 * @param version increases with every checkpoint of the model, across jobs (the trainer also
 *     numbers its mid-epoch training states, so published versions may skip numbers)
 * @param last true for the checkpoint written when the job ended (completed or cancelled)
 * @param training the effective training request that produced it
 * @param sizeBytes length of the decoded checkpoint bytes
 * @param sha256 SHA-256 (lower-case hex) of the decoded checkpoint bytes
 */
public record CheckpointEvent(
    int schemaVersion,
    String modelId,
    long version,
    String jobId,
    int epoch,
    long globalStep,
    boolean last,
    boolean trainingState,
    long createdAtMs,
    Metrics metrics,
    ModelSpec model,
    TrainingRequest training,
    VocabularySpec vocabulary,
    long sizeBytes,
    String sha256,
    Weights weights) {
  public static final int SCHEMA_VERSION = 1;

  public CheckpointEvent {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(modelId, "modelId");
    Checks.atLeast(version, 1, "version");
    Checks.id(jobId, "jobId");
    Checks.atLeast(epoch, 0, "epoch");
    Checks.atLeast(globalStep, 0, "globalStep");
    Checks.atLeast(createdAtMs, 0, "createdAtMs");
    Checks.required(metrics, "metrics");
    Checks.required(model, "model");
    Checks.required(training, "training");
    Checks.required(vocabulary, "vocabulary");
    Checks.atLeast(sizeBytes, 1, "sizeBytes");
    Checks.sha256(sha256, "sha256");
    Checks.required(weights, "weights");
  }

  /**
   * Losses at the checkpoint: mean per-character cross entropy in nats.
   *
   * @param trainLoss mean over the last (possibly partial) epoch
   * @param valLoss on the held-out fraction, null when valFraction is 0
   */
  public record Metrics(double trainLoss, Double valLoss) {}

  /**
   * The network's shape: Embedding(vocabSize, embeddingSize) -> numLayers x LSTM(rnnSize) ->
   * softmax.
   */
  public record ModelSpec(
      int vocabSize,
      int embeddingSize,
      int rnnSize,
      int numLayers,
      double dropRate,
      long parameterCount) {
    public ModelSpec {
      Checks.atLeast(vocabSize, 2, "model.vocabSize");
      Checks.atLeast(embeddingSize, 1, "model.embeddingSize");
      Checks.atLeast(rnnSize, 1, "model.rnnSize");
      Checks.atLeast(numLayers, 1, "model.numLayers");
      Checks.atLeast(parameterCount, 1, "model.parameterCount");
    }
  }

  /** The vocabulary: code point of id i+1 at index i (id 0 is "unknown" and not listed). */
  public record VocabularySpec(VocabularyMode kind, List<Integer> codePoints) {
    public VocabularySpec {
      Checks.required(kind, "vocabulary.kind");
      codePoints = List.copyOf(Checks.required(codePoints, "vocabulary.codePoints"));
    }
  }

  /**
   * Where the checkpoint bytes are. Today always inline: base64 of the model module's
   * self-describing checkpoint format, inside this record.
   *
   * @param location {@code "inline"}
   * @param encoding {@code "base64"}
   * @param format {@code "charstream-checkpoint"}
   * @param formatVersion the checkpoint format version inside the bytes
   */
  public record Weights(
      String location, String encoding, String format, int formatVersion, String data) {
    public static final String INLINE = "inline";
    public static final String BASE64 = "base64";
    public static final String FORMAT = "charstream-checkpoint";

    public Weights {
      if (!INLINE.equals(location)) {
        throw new InvalidFieldException(
            "weights.location", "only \"inline\" is supported, got " + location);
      }
      if (!BASE64.equals(encoding)) {
        throw new InvalidFieldException(
            "weights.encoding", "only \"base64\" is supported, got " + encoding);
      }
      if (!FORMAT.equals(format)) {
        throw new InvalidFieldException(
            "weights.format", "only \"" + FORMAT + "\" is supported, got " + format);
      }
      Checks.required(data, "weights.data");
    }

    public static Weights inline(byte[] bytes, int formatVersion) {
      return new Weights(
          INLINE, BASE64, FORMAT, formatVersion, Base64.getEncoder().encodeToString(bytes));
    }

    @Override
    public String toString() {
      // Never print megabytes of base64 into a log.
      return "Weights["
          + location
          + ", "
          + encoding
          + ", "
          + format
          + " v"
          + formatVersion
          + ", "
          + data.length()
          + " chars]";
    }

    /** The checkpoint bytes. */
    public byte[] bytes() {
      try {
        return Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        throw new InvalidFieldException("weights.data", "is not valid base64: " + e.getMessage());
      }
    }
  }
}
