package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import java.util.List;

/**
 * A request to train a model, on {@code charstream.training-requests} keyed by modelId. Carries
 * every hyperparameter of the reference {@code train} command with its defaults (applied here when
 * a field is absent), plus the validation fraction and split, the learning-rate schedule, the
 * vocabulary mode, the random seed and an optional named preset.
 *
 * <p>The contract checks only what is always wrong (a zero batch size, a dropout of 1.5); the
 * trainer adds its configured limits (parameter count, memory) and answers with a {@code rejected}
 * status.
 *
 * <p>Without a preset, every absent field takes the reference's default here. With a preset, the
 * fields a preset sets ({@link #PRESET_FIELDS}) stay null when absent: the recipes' numbers live in
 * the engine, and the trainer fills them with {@link #withPresetValues} before anything reads them.
 * The effective request that statuses and checkpoints echo has every field set.
 *
 * @param jobId optional; when absent the trainer derives a stable one from the record's position
 * @param seed optional; when absent the trainer derives one from the jobId and reports it
 * @param restore continue from the model's latest checkpoint (the reference's {@code --restore})
 * @param valSplit where the held-out text comes from (default tail, the reference's)
 * @param lrSchedule constant (default, the reference's) or cosine decay to finalLearningRate
 * @param finalLearningRate the last step's learning rate under cosine (default learningRate / 20);
 *     ignored, and left as given, under constant
 * @param preset a named recipe that fills the {@link #PRESET_FIELDS} the request leaves out
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
    Boolean restore,
    ValSplit valSplit,
    LrSchedule lrSchedule,
    Double finalLearningRate,
    Preset preset) {
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
  public static final ValSplit DEFAULT_VAL_SPLIT = ValSplit.TAIL;
  public static final LrSchedule DEFAULT_LR_SCHEDULE = LrSchedule.CONSTANT;

  /**
   * Under cosine without a finalLearningRate, the last step's rate is learningRate divided by this.
   */
  public static final double FINAL_LEARNING_RATE_DIVISOR = 20.0;

  /** The fields a preset fills when the request leaves them out (JSON names). */
  public static final List<String> PRESET_FIELDS =
      List.of(
          "rnnSize",
          "dropRate",
          "batchSize",
          "learningRate",
          "lrSchedule",
          "finalLearningRate",
          "numEpochs");

  public TrainingRequest {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.optionalId(jobId, "jobId");
    Checks.id(modelId, "modelId");
    Checks.id(corpusId, "corpusId");
    seqLen = (int) Checks.atLeast(or(seqLen, DEFAULT_SEQ_LEN), 1, "seqLen");
    embeddingSize =
        (int) Checks.atLeast(or(embeddingSize, DEFAULT_EMBEDDING_SIZE), 1, "embeddingSize");
    if (preset == null) {
      rnnSize = or(rnnSize, DEFAULT_RNN_SIZE);
      dropRate = or(dropRate, DEFAULT_DROP_RATE);
      learningRate = or(learningRate, DEFAULT_LEARNING_RATE);
      batchSize = or(batchSize, DEFAULT_BATCH_SIZE);
      lrSchedule = or(lrSchedule, DEFAULT_LR_SCHEDULE);
      numEpochs = or(numEpochs, DEFAULT_NUM_EPOCHS);
    }
    // With a preset these may still be null here: the trainer fills them (withPresetValues).
    rnnSize = rnnSize == null ? null : (int) Checks.atLeast(rnnSize, 1, "rnnSize");
    numLayers = (int) Checks.atLeast(or(numLayers, DEFAULT_NUM_LAYERS), 1, "numLayers");
    dropRate = dropRate == null ? null : Checks.fraction(dropRate, "dropRate");
    learningRate = learningRate == null ? null : Checks.positive(learningRate, "learningRate");
    clipNorm = Checks.nonNegative(or(clipNorm, DEFAULT_CLIP_NORM), "clipNorm");
    batchSize = batchSize == null ? null : (int) Checks.atLeast(batchSize, 1, "batchSize");
    numEpochs = numEpochs == null ? null : (int) Checks.atLeast(numEpochs, 1, "numEpochs");
    valFraction = or(valFraction, DEFAULT_VAL_FRACTION);
    if (!(valFraction >= 0 && valFraction < 0.5)) {
      throw new InvalidFieldException("valFraction", "must be in [0, 0.5), got " + valFraction);
    }
    vocabulary = or(vocabulary, DEFAULT_VOCABULARY);
    restore = or(restore, Boolean.FALSE);
    valSplit = or(valSplit, DEFAULT_VAL_SPLIT);
    if (finalLearningRate != null) {
      Checks.positive(finalLearningRate, "finalLearningRate");
      if (lrSchedule == LrSchedule.COSINE
          && learningRate != null
          && finalLearningRate > learningRate) {
        throw new InvalidFieldException(
            "finalLearningRate",
            "must be in (0, learningRate = "
                + learningRate
                + "] with the cosine schedule (it decays to it), got "
                + finalLearningRate);
      }
    } else if (lrSchedule == LrSchedule.COSINE && learningRate != null) {
      finalLearningRate = learningRate / FINAL_LEARNING_RATE_DIVISOR;
    }
  }

  /** A request with every default: what {@code charstream submit} sends without flags. */
  public static TrainingRequest defaults(String jobId, String modelId, String corpusId) {
    return builder(modelId, corpusId).jobId(jobId).build();
  }

  public TrainingRequest withJobId(String id) {
    return toBuilder().jobId(id).build();
  }

  public TrainingRequest withSeed(long s) {
    return toBuilder().seed(s).build();
  }

  /**
   * This request with a preset's values in the {@link #PRESET_FIELDS} it leaves out: explicit
   * fields win. Applying it again changes nothing.
   *
   * @param presetFinalLearningRate the preset's last-step rate under cosine, or null for
   *     learningRate / {@value #FINAL_LEARNING_RATE_DIVISOR}; used only when the schedule is cosine
   */
  public TrainingRequest withPresetValues(
      int presetRnnSize,
      double presetDropRate,
      int presetBatchSize,
      double presetLearningRate,
      LrSchedule presetSchedule,
      Double presetFinalLearningRate,
      int presetNumEpochs) {
    LrSchedule schedule = or(lrSchedule, presetSchedule);
    Double finalRate =
        finalLearningRate != null || schedule != LrSchedule.COSINE
            ? finalLearningRate
            : presetFinalLearningRate;
    return toBuilder()
        .rnnSize(or(rnnSize, presetRnnSize))
        .dropRate(or(dropRate, presetDropRate))
        .learningRate(or(learningRate, presetLearningRate))
        .batchSize(or(batchSize, presetBatchSize))
        .lrSchedule(schedule)
        .finalLearningRate(finalRate)
        .numEpochs(or(numEpochs, presetNumEpochs))
        .build();
  }

  /**
   * Whether every field is set: no preset, or its values applied with {@link #withPresetValues}.
   */
  public boolean resolved() {
    return rnnSize != null
        && dropRate != null
        && learningRate != null
        && batchSize != null
        && lrSchedule != null
        && numEpochs != null;
  }

  /**
   * A builder of a request for {@code modelId} on {@code corpusId} at the current schema version;
   * the fields it is not given stay absent, so the defaults (or a preset) fill them.
   */
  public static Builder builder(String modelId, String corpusId) {
    return new Builder().modelId(modelId).corpusId(corpusId);
  }

  /** A builder starting from this request. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.schemaVersion = schemaVersion;
    b.jobId = jobId;
    b.modelId = modelId;
    b.corpusId = corpusId;
    b.seqLen = seqLen;
    b.embeddingSize = embeddingSize;
    b.rnnSize = rnnSize;
    b.numLayers = numLayers;
    b.dropRate = dropRate;
    b.learningRate = learningRate;
    b.clipNorm = clipNorm;
    b.batchSize = batchSize;
    b.numEpochs = numEpochs;
    b.valFraction = valFraction;
    b.vocabulary = vocabulary;
    b.seed = seed;
    b.restore = restore;
    b.valSplit = valSplit;
    b.lrSchedule = lrSchedule;
    b.finalLearningRate = finalLearningRate;
    b.preset = preset;
    return b;
  }

  /** Builds a request field by field; {@link #build} validates it. */
  public static final class Builder {
    private int schemaVersion = SCHEMA_VERSION;
    private String jobId;
    private String modelId;
    private String corpusId;
    private Integer seqLen;
    private Integer embeddingSize;
    private Integer rnnSize;
    private Integer numLayers;
    private Double dropRate;
    private Double learningRate;
    private Double clipNorm;
    private Integer batchSize;
    private Integer numEpochs;
    private Double valFraction;
    private VocabularyMode vocabulary;
    private Long seed;
    private Boolean restore;
    private ValSplit valSplit;
    private LrSchedule lrSchedule;
    private Double finalLearningRate;
    private Preset preset;

    private Builder() {}

    public Builder schemaVersion(int value) {
      schemaVersion = value;
      return this;
    }

    public Builder jobId(String value) {
      jobId = value;
      return this;
    }

    public Builder modelId(String value) {
      modelId = value;
      return this;
    }

    public Builder corpusId(String value) {
      corpusId = value;
      return this;
    }

    public Builder seqLen(Integer value) {
      seqLen = value;
      return this;
    }

    public Builder embeddingSize(Integer value) {
      embeddingSize = value;
      return this;
    }

    public Builder rnnSize(Integer value) {
      rnnSize = value;
      return this;
    }

    public Builder numLayers(Integer value) {
      numLayers = value;
      return this;
    }

    public Builder dropRate(Double value) {
      dropRate = value;
      return this;
    }

    public Builder learningRate(Double value) {
      learningRate = value;
      return this;
    }

    public Builder clipNorm(Double value) {
      clipNorm = value;
      return this;
    }

    public Builder batchSize(Integer value) {
      batchSize = value;
      return this;
    }

    public Builder numEpochs(Integer value) {
      numEpochs = value;
      return this;
    }

    public Builder valFraction(Double value) {
      valFraction = value;
      return this;
    }

    public Builder vocabulary(VocabularyMode value) {
      vocabulary = value;
      return this;
    }

    public Builder seed(Long value) {
      seed = value;
      return this;
    }

    public Builder restore(Boolean value) {
      restore = value;
      return this;
    }

    public Builder valSplit(ValSplit value) {
      valSplit = value;
      return this;
    }

    public Builder lrSchedule(LrSchedule value) {
      lrSchedule = value;
      return this;
    }

    public Builder finalLearningRate(Double value) {
      finalLearningRate = value;
      return this;
    }

    public Builder preset(Preset value) {
      preset = value;
      return this;
    }

    public TrainingRequest build() {
      return new TrainingRequest(
          schemaVersion,
          jobId,
          modelId,
          corpusId,
          seqLen,
          embeddingSize,
          rnnSize,
          numLayers,
          dropRate,
          learningRate,
          clipNorm,
          batchSize,
          numEpochs,
          valFraction,
          vocabulary,
          seed,
          restore,
          valSplit,
          lrSchedule,
          finalLearningRate,
          preset);
    }
  }

  private static <T> T or(T value, T fallback) {
    return value == null ? fallback : value;
  }
}
