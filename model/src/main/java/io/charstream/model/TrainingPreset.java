package io.charstream.model;

import java.util.Locale;

/**
 * Named training recipes. {@link #REFERENCE} is the reference's defaults (what {@code train} does
 * without flags); {@link #RECOMMENDED} is the recipe charstream's benchmark table measured to reach
 * a better held-out loss (see results/ and the README's table).
 */
public enum TrainingPreset {

  /**
   * Embedding 32, 2 x LSTM 128, no dropout; batch 64 x 64, Adam 0.001 constant, clip 5, 32 epochs.
   */
  REFERENCE(
      ModelConfig.DEFAULT_RNN_SIZE,
      ModelConfig.DEFAULT_DROP_RATE,
      64,
      0.001,
      TrainingConfig.LearningRateSchedule.CONSTANT,
      0.001),

  /**
   * Embedding 32, 2 x LSTM 256 (849,570 parameters) with dropout 0.05; the same batches; Adam at
   * 0.003 decayed along a cosine to 0.00015 over the run, so the last epochs settle instead of
   * rattling at a fixed rate. Measured (results/, the README's benchmark table): 2 x LSTM 128 with
   * the same schedule stops at a held-out 1.409 (training 1.289); 2 x 256 with dropout 0.1 at
   * held-out 1.324 but training 1.236 (results/experiments/).
   */
  RECOMMENDED(256, 0.05, 64, 0.003, TrainingConfig.LearningRateSchedule.COSINE, 0.00015);

  private final int rnnSize;
  private final double dropRate;
  private final int batchSize;
  private final double learningRate;
  private final TrainingConfig.LearningRateSchedule schedule;
  private final double finalLearningRate;

  TrainingPreset(
      int rnnSize,
      double dropRate,
      int batchSize,
      double learningRate,
      TrainingConfig.LearningRateSchedule schedule,
      double finalLearningRate) {
    this.rnnSize = rnnSize;
    this.dropRate = dropRate;
    this.batchSize = batchSize;
    this.learningRate = learningRate;
    this.schedule = schedule;
    this.finalLearningRate = finalLearningRate;
  }

  /** The lower-case name used on the command line and in result files. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static TrainingPreset parse(String value) {
    for (TrainingPreset p : values()) {
      if (p.flag().equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "preset must be 'reference' or 'recommended', got '" + value + "'");
  }

  /** The preset's network for a vocabulary of {@code vocabSize} ids. */
  public ModelConfig model(int vocabSize) {
    return new ModelConfig(
        vocabSize,
        ModelConfig.DEFAULT_EMBEDDING_SIZE,
        rnnSize,
        ModelConfig.DEFAULT_NUM_LAYERS,
        dropRate);
  }

  /** The preset's training, holding out {@code valFraction} of the text with {@code split}. */
  public TrainingConfig training(
      int numEpochs, double valFraction, TrainingConfig.ValidationSplit split, long seed) {
    return TrainingConfig.builder()
        .batchSize(batchSize)
        .numEpochs(numEpochs)
        .learningRate(learningRate)
        .valFraction(valFraction)
        .seed(seed)
        .valSplit(split)
        .lrSchedule(schedule)
        .finalLearningRate(finalLearningRate)
        .build();
  }

  /**
   * The hyperparameters a preset sets, as given explicitly by the user (a flag, a request field);
   * null = not given, the preset's value applies.
   */
  public record Explicit(
      Integer rnnSize,
      Double dropRate,
      Integer batchSize,
      Double learningRate,
      TrainingConfig.LearningRateSchedule schedule,
      Double finalLearningRate) {}

  /**
   * The preset's hyperparameters with the explicit ones on top.
   *
   * @param finalLearningRate null when neither the user nor the preset sets it: the caller's
   *     default applies (learningRate / 20 under cosine, unused under constant)
   */
  public record Merged(
      int rnnSize,
      double dropRate,
      int batchSize,
      double learningRate,
      TrainingConfig.LearningRateSchedule schedule,
      Double finalLearningRate) {}

  /**
   * The one preset merge, for {@code train}'s flags and the trainer's requests alike: every value
   * given explicitly wins; the preset fills the rest. The preset's final learning rate applies only
   * where its own cosine schedule runs.
   */
  public Merged merge(Explicit given) {
    TrainingConfig.LearningRateSchedule mergedSchedule = or(given.schedule(), schedule);
    boolean presetDecays =
        schedule == TrainingConfig.LearningRateSchedule.COSINE
            && mergedSchedule == TrainingConfig.LearningRateSchedule.COSINE;
    return new Merged(
        or(given.rnnSize(), rnnSize),
        or(given.dropRate(), dropRate),
        or(given.batchSize(), batchSize),
        or(given.learningRate(), learningRate),
        mergedSchedule,
        given.finalLearningRate() != null
            ? given.finalLearningRate()
            : presetDecays ? Double.valueOf(finalLearningRate) : null);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  public int rnnSize() {
    return rnnSize;
  }

  public double dropRate() {
    return dropRate;
  }

  public int batchSize() {
    return batchSize;
  }

  public double learningRate() {
    return learningRate;
  }

  public TrainingConfig.LearningRateSchedule schedule() {
    return schedule;
  }

  public double finalLearningRate() {
    return finalLearningRate;
  }
}
