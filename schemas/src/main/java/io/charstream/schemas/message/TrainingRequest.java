package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;

/**
 * A request to train a model, on {@code charstream.training-requests} keyed by modelId. Carries
 * every hyperparameter of the reference {@code train} command with its defaults (applied here when
 * a field is absent), plus the validation fraction, the vocabulary mode and the random seed.
 *
 * <p>The contract checks only what is always wrong (a zero batch size, a dropout of 1.5); the
 * trainer adds its configured limits (parameter count, memory) and answers with a {@code rejected}
 * status.
 *
 * @param jobId optional; when absent the trainer derives a stable one from the record's position
 * @param seed optional; when absent the trainer derives one from the jobId and reports it
 * @param restore continue from the model's latest checkpoint (the reference's {@code --restore})
 */
public record TrainingRequest(
    int schemaVersion,
    String jobId,
    String modelId,
    String corpusId,
    Integer seqLen,
    Integer embeddingSize,
    Integer rnnSize,
    Integer numLayers,
    Double dropRate,
    Double learningRate,
    Double clipNorm,
    Integer batchSize,
    Integer numEpochs,
    Double valFraction,
    VocabularyMode vocabulary,
    Long seed,
    Boolean restore) {
  public static final int SCHEMA_VERSION = 1;

  // The reference train command's defaults (yxtay/char-rnn-text-generation), plus ours.
  public static final int DEFAULT_SEQ_LEN = 64;
  public static final int DEFAULT_EMBEDDING_SIZE = 32;
  public static final int DEFAULT_RNN_SIZE = 128;
  public static final int DEFAULT_NUM_LAYERS = 2;
  public static final double DEFAULT_DROP_RATE = 0.0;
  public static final double DEFAULT_LEARNING_RATE = 0.001;
  public static final double DEFAULT_CLIP_NORM = 5.0;
  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final int DEFAULT_NUM_EPOCHS = 32;
  public static final double DEFAULT_VAL_FRACTION = 0.05;
  public static final VocabularyMode DEFAULT_VOCABULARY = VocabularyMode.REFERENCE;

  public TrainingRequest {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.optionalId(jobId, "jobId");
    Checks.id(modelId, "modelId");
    Checks.id(corpusId, "corpusId");
    seqLen = (int) Checks.atLeast(or(seqLen, DEFAULT_SEQ_LEN), 1, "seqLen");
    embeddingSize = (int) Checks.atLeast(or(embeddingSize, DEFAULT_EMBEDDING_SIZE), 1, "embeddingSize");
    rnnSize = (int) Checks.atLeast(or(rnnSize, DEFAULT_RNN_SIZE), 1, "rnnSize");
    numLayers = (int) Checks.atLeast(or(numLayers, DEFAULT_NUM_LAYERS), 1, "numLayers");
    dropRate = Checks.fraction(or(dropRate, DEFAULT_DROP_RATE), "dropRate");
    learningRate = Checks.positive(or(learningRate, DEFAULT_LEARNING_RATE), "learningRate");
    clipNorm = Checks.nonNegative(or(clipNorm, DEFAULT_CLIP_NORM), "clipNorm");
    batchSize = (int) Checks.atLeast(or(batchSize, DEFAULT_BATCH_SIZE), 1, "batchSize");
    numEpochs = (int) Checks.atLeast(or(numEpochs, DEFAULT_NUM_EPOCHS), 1, "numEpochs");
    valFraction = or(valFraction, DEFAULT_VAL_FRACTION);
    if (!(valFraction >= 0 && valFraction < 0.5)) {
      throw new InvalidFieldException("valFraction", "must be in [0, 0.5), got " + valFraction);
    }
    vocabulary = or(vocabulary, DEFAULT_VOCABULARY);
    restore = or(restore, Boolean.FALSE);
  }

  /** A request with every default: what {@code charstream submit} sends without flags. */
  public static TrainingRequest defaults(String jobId, String modelId, String corpusId) {
    return new TrainingRequest(SCHEMA_VERSION, jobId, modelId, corpusId,
        null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  public TrainingRequest withJobId(String id) {
    return new TrainingRequest(schemaVersion, id, modelId, corpusId, seqLen, embeddingSize, rnnSize,
        numLayers, dropRate, learningRate, clipNorm, batchSize, numEpochs, valFraction, vocabulary, seed, restore);
  }

  public TrainingRequest withSeed(long s) {
    return new TrainingRequest(schemaVersion, jobId, modelId, corpusId, seqLen, embeddingSize, rnnSize,
        numLayers, dropRate, learningRate, clipNorm, batchSize, numEpochs, valFraction, vocabulary, s, restore);
  }

  private static <T> T or(T value, T fallback) {
    return value == null ? fallback : value;
  }
}
