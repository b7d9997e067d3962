package io.charstream.model;

import java.util.Locale;

/**
 * Named training recipes: the network, optimiser, schedule and length of a run. {@link #REFERENCE}
 * is the reference's defaults (what {@code train} does without flags); the others are recipes
 * charstream's benchmark table measured (see results/ and the README's table): {@link #RECOMMENDED}
 * for a better held-out loss in the reference's 32 epochs, {@link #FAST} for a good loss in
 * minutes, {@link #LARGE} for the best loss in about an hour on two cores.
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
      0.001,
      TrainingConfig.DEFAULT_NUM_EPOCHS),

  /**
   * Embedding 32, 2 x LSTM 256 (849,570 parameters) with dropout 0.05; the same batches; Adam at
   * 0.003 decayed along a cosine to 0.00015 over the run, so the last epochs settle instead of
   * rattling at a fixed rate. Measured (results/, the README's benchmark table): 2 x LSTM 128 with
   * the same schedule stops at a held-out 1.409 (training 1.289); 2 x 256 with dropout 0.1 at
   * held-out 1.324 but training 1.236 (results/experiments/).
   */
  RECOMMENDED(
      256,
      0.05,
      64,
      0.003,
      TrainingConfig.LearningRateSchedule.COSINE,
      0.00015,
      TrainingConfig.DEFAULT_NUM_EPOCHS),

  /**
   * Time to quality: 2 x LSTM 256 without dropout, Adam at 0.006 decayed along a cosine to 0.0003
   * over 5 epochs (about 4 minutes on two cores). Short runs here are limited by the learning rate,
   * not by overfitting: the recommended preset cut to 4 epochs reached held-out 1.559, this recipe
   * 1.390 in 5 (results/tinyshakespeare-fast.json).
   */
  FAST(256, 0.0, 64, 0.006, TrainingConfig.LearningRateSchedule.COSINE, 0.0003, 5),

  /**
   * The best held-out loss in about an hour on two cores: 2 x LSTM 448 (2,516,514 parameters) with
   * dropout 0.2 on the embedding and every LSTM output, Adam at 0.004 decayed along a cosine to
   * 0.0002 over 19 epochs (results/tinyshakespeare-nanogpt-large.json, on nanoGPT's split).
   */
  LARGE(448, 0.2, 64, 0.004, TrainingConfig.LearningRateSchedule.COSINE, 0.0002, 19);

  /** The presets' names as the command line and the JSON contract spell them, for messages. */
  public static final String NAMES = "'reference', 'recommended', 'fast' or 'large'";

  private final int rnnSize;
  private final double dropRate;
  private final int batchSize;
  private final double learningRate;
  private final TrainingConfig.LearningRateSchedule schedule;
  private final double finalLearningRate;
  private final int numEpochs;

  TrainingPreset(
      int rnnSize,
      double dropRate,
      int batchSize,
      double learningRate,
      TrainingConfig.LearningRateSchedule schedule,
      double finalLearningRate,
      int numEpochs) {
    this.rnnSize = rnnSize;
    this.dropRate = dropRate;
    this.batchSize = batchSize;
    this.learningRate = learningRate;
    this.schedule = schedule;
    this.finalLearningRate = finalLearningRate;
    this.numEpochs = numEpochs;
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
    throw new IllegalArgumentException("preset must be " + NAMES + ", got '" + value + "'");
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
      double valFraction, TrainingConfig.ValidationSplit split, long seed) {
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
      Double finalLearningRate,
      Integer numEpochs) {}

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
      Double finalLearningRate,
      int numEpochs) {}

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
            : presetDecays ? Double.valueOf(finalLearningRate) : null,
        or(given.numEpochs(), numEpochs));
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

  public int numEpochs() {
    return numEpochs;
  }
}
