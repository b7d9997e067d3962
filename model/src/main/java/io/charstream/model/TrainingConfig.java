package io.charstream.model;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * How to train: the reference's hyperparameters plus the held-out validation fraction (the tail of
 * the corpus), the random seed of initialisation, dropout and sampling, and how often to checkpoint
 * inside an epoch (0 = at epoch ends only).
 *
 * @param seqLen characters per stream per batch (truncated back-propagation length)
 * @param batchSize number of contiguous streams the corpus is cut into
 * @param numEpochs passes over the training text
 * @param learningRate Adam's step size
 * @param clipNorm maximum global L2 norm of the gradient of the mean per-character loss (as
 *     PyTorch's clip_grad_norm in the reference); 0 disables clipping
 * @param valFraction fraction of the corpus, taken from its end, held out for the validation loss
 * @param seed seeds weight initialisation, dropout and the per-epoch samples
 * @param checkpointEverySteps also checkpoint every this many batches inside an epoch (0 = never)
 * @param valSplit where the held-out text comes from: the end of the corpus, or the end of each of
 *     batchSize equal blocks (char-rnn's split)
 * @param lrSchedule constant, or cosine decay from learningRate to finalLearningRate over all
 *     epochs
 * @param finalLearningRate the learning rate of the last step under the cosine schedule (ignored
 *     when constant)
 */
public record TrainingConfig(
    int seqLen,
    int batchSize,
    int numEpochs,
    double learningRate,
    double clipNorm,
    double valFraction,
    long seed,
    int checkpointEverySteps,
    ValidationSplit valSplit,
    LearningRateSchedule lrSchedule,
    double finalLearningRate) {

  /** Where the held-out validation text is taken from. */
  public enum ValidationSplit {
    /**
     * The last valFraction of the corpus (for tinyshakespeare: most of The Tempest, unseen text),
     * cut as nanoGPT cuts it: see {@link #tailTrainingChars}.
     */
    TAIL,
    /**
     * The last valFraction of each of batchSize equal blocks of the corpus, as char-rnn splits its
     * data: the held-out text is spread over the whole corpus, so it is in-distribution.
     */
    BLOCKS;

    public String flag() {
      return flagOf(this);
    }

    public static ValidationSplit parse(String value) {
      return parseFlag(ValidationSplit.class, "valSplit", value);
    }
  }

  /** How the learning rate moves over the run. */
  public enum LearningRateSchedule {
    /** The reference's: learningRate at every step. */
    CONSTANT,
    /** Half a cosine from learningRate at the first step to finalLearningRate at the last. */
    COSINE;

    public String flag() {
      return flagOf(this);
    }

    public static LearningRateSchedule parse(String value) {
      return parseFlag(LearningRateSchedule.class, "lrSchedule", value);
    }
  }

  public static final int DEFAULT_SEQ_LEN = 64;
  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final int DEFAULT_NUM_EPOCHS = 32;
  public static final double DEFAULT_LEARNING_RATE = 0.001;
  public static final double DEFAULT_CLIP_NORM = 5.0;
  public static final double DEFAULT_VAL_FRACTION = 0.05;
  public static final long DEFAULT_SEED = 42L;

  /** Without an explicit final rate, the cosine schedule ends at learningRate / this. */
  public static final double DEFAULT_FINAL_LEARNING_RATE_DIVISOR = 20.0;

  /** The cosine schedule's default last rate for {@code learningRate}. */
  public static double defaultFinalLearningRate(double learningRate) {
    return learningRate / DEFAULT_FINAL_LEARNING_RATE_DIVISOR;
  }

  public TrainingConfig {
    ModelConfig.requireRange("seqLen", seqLen, 1, 1 << 16);
    ModelConfig.requireRange("batchSize", batchSize, 1, 1 << 16);
    ModelConfig.requireRange("numEpochs", numEpochs, 1, 1_000_000);
    if (!(learningRate > 0.0 && learningRate <= 10.0)) {
      throw new IllegalArgumentException("learningRate must be in (0, 10], got " + learningRate);
    }
    if (!(clipNorm >= 0.0 && Double.isFinite(clipNorm))) {
      throw new IllegalArgumentException(
          "clipNorm must be >= 0 (0 disables clipping), got " + clipNorm);
    }
    if (!(valFraction >= 0.0 && valFraction < 0.5)) {
      throw new IllegalArgumentException("valFraction must be in [0, 0.5), got " + valFraction);
    }
    ModelConfig.requireRange("checkpointEverySteps", checkpointEverySteps, 0, Integer.MAX_VALUE);
    java.util.Objects.requireNonNull(valSplit, "valSplit");
    java.util.Objects.requireNonNull(lrSchedule, "lrSchedule");
    if (!(finalLearningRate > 0.0 && finalLearningRate <= learningRate)) {
      throw new IllegalArgumentException(
          "finalLearningRate must be in (0, learningRate = "
              + learningRate
              + "], got "
              + finalLearningRate);
    }
  }

  /**
   * Characters of an n-character corpus that {@link ValidationSplit#TAIL} trains on: the first
   * floor(n x (1 - valFraction)), as nanoGPT's {@code data[:int(n*0.9)]}; the rest, the end, is
   * held out (tinyshakespeare, 1,115,394 characters, at 0.1: 1,003,854 and the last 111,540).
   * Computed in decimal: as doubles, 1,115,394 x 0.1 is 111539.40000000001 and n x 0.9 can land
   * just below a whole number.
   */
  public static long tailTrainingChars(long n, double valFraction) {
    return BigDecimal.valueOf(n)
        .multiply(BigDecimal.ONE.subtract(BigDecimal.valueOf(valFraction)))
        .setScale(0, RoundingMode.FLOOR)
        .longValueExact();
  }

  /** The reference's data split and schedule: held-out tail, constant learning rate. */
  public TrainingConfig(
      int seqLen,
      int batchSize,
      int numEpochs,
      double learningRate,
      double clipNorm,
      double valFraction,
      long seed,
      int checkpointEverySteps) {
    this(
        seqLen,
        batchSize,
        numEpochs,
        learningRate,
        clipNorm,
        valFraction,
        seed,
        checkpointEverySteps,
        ValidationSplit.TAIL,
        LearningRateSchedule.CONSTANT,
        learningRate);
  }

  /** The reference's defaults, 5% validation, seed 42, checkpoints at epoch ends. */
  public static TrainingConfig defaults() {
    return builder().build();
  }

  public TrainingConfig withNumEpochs(int epochs) {
    return toBuilder().numEpochs(epochs).build();
  }

  /** The same run with another data split, schedule and final learning rate. */
  public TrainingConfig withSchedule(
      ValidationSplit split, LearningRateSchedule schedule, double finalRate) {
    return toBuilder().valSplit(split).lrSchedule(schedule).finalLearningRate(finalRate).build();
  }

  /** A builder starting from the reference's defaults ({@link #defaults()}). */
  public static Builder builder() {
    return new Builder();
  }

  /** An enum constant's name on the command line and in JSON: lower case. */
  private static String flagOf(Enum<?> constant) {
    return constant.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The constant whose {@link #flagOf flag} is {@code value}, or an error naming the choices. */
  private static <E extends Enum<E>> E parseFlag(Class<E> type, String field, String value) {
    E[] constants = type.getEnumConstants();
    for (E constant : constants) {
      if (flagOf(constant).equals(value)) {
        return constant;
      }
    }
    String choices =
        java.util.Arrays.stream(constants)
            .map(c -> "'" + flagOf(c) + "'")
            .collect(java.util.stream.Collectors.joining(" or "));
    throw new IllegalArgumentException(field + " must be " + choices + ", got '" + value + "'");
  }

  /** A builder starting from this config. */
  public Builder toBuilder() {
    return new Builder()
        .seqLen(seqLen)
        .batchSize(batchSize)
        .numEpochs(numEpochs)
        .learningRate(learningRate)
        .clipNorm(clipNorm)
        .valFraction(valFraction)
        .seed(seed)
        .checkpointEverySteps(checkpointEverySteps)
        .valSplit(valSplit)
        .lrSchedule(lrSchedule)
        .finalLearningRate(finalLearningRate);
  }

  /**
   * Builds a config by field name. Unset fields keep the reference's defaults; an unset final
   * learning rate is the learning rate (the constant schedule's, as {@link #defaults()} has it).
   * {@link #build()} validates like the constructor.
   */
  public static final class Builder {
    private int seqLen = DEFAULT_SEQ_LEN;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private int numEpochs = DEFAULT_NUM_EPOCHS;
    private double learningRate = DEFAULT_LEARNING_RATE;
    private double clipNorm = DEFAULT_CLIP_NORM;
    private double valFraction = DEFAULT_VAL_FRACTION;
    private long seed = DEFAULT_SEED;
    private int checkpointEverySteps;
    private ValidationSplit valSplit = ValidationSplit.TAIL;
    private LearningRateSchedule lrSchedule = LearningRateSchedule.CONSTANT;
    private Double finalLearningRate;

    private Builder() {}

    public Builder seqLen(int value) {
      seqLen = value;
      return this;
    }

    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder numEpochs(int value) {
      numEpochs = value;
      return this;
    }

    public Builder learningRate(double value) {
      learningRate = value;
      return this;
    }

    public Builder clipNorm(double value) {
      clipNorm = value;
      return this;
    }

    public Builder valFraction(double value) {
      valFraction = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public Builder checkpointEverySteps(int value) {
      checkpointEverySteps = value;
      return this;
    }

    public Builder valSplit(ValidationSplit value) {
      valSplit = value;
      return this;
    }

    public Builder lrSchedule(LearningRateSchedule value) {
      lrSchedule = value;
      return this;
    }

    /** The cosine schedule's last rate; null = the learning rate. */
    public Builder finalLearningRate(Double value) {
      finalLearningRate = value;
      return this;
    }

    public TrainingConfig build() {
      return new TrainingConfig(
          seqLen,
          batchSize,
          numEpochs,
          learningRate,
          clipNorm,
          valFraction,
          seed,
          checkpointEverySteps,
          valSplit,
          lrSchedule,
          finalLearningRate == null ? learningRate : finalLearningRate);
    }
  }

  /** The learning rate of step {@code step} (0-based) of a run of {@code totalSteps} steps. */
  public double learningRateAt(long step, long totalSteps) {
    if (lrSchedule == LearningRateSchedule.CONSTANT || totalSteps <= 1) {
      return learningRate;
    }
    double progress = Math.min(1.0, Math.max(0.0, step / (double) (totalSteps - 1)));
    return finalLearningRate
        + (learningRate - finalLearningRate) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
  }
}
