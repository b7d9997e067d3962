package io.charstream.model;

/**
 * How to train: the reference's hyperparameters plus the held-out validation fraction (the tail of
 * the corpus), the random seed of initialisation, dropout and sampling, and how often to checkpoint
 * inside an epoch (0 = at epoch ends only).
 *
 * @param seqLen characters per stream per batch (truncated back-propagation length)
 * @param batchSize number of contiguous streams the corpus is cut into
 * @param numEpochs passes over the training text
 * @param learningRate Adam's step size
 * @param clipNorm maximum global L2 norm of the gradient of the mean per-character loss (as PyTorch's
 *     clip_grad_norm in the reference); 0 disables clipping
 * @param valFraction fraction of the corpus, taken from its end, held out for the validation loss
 * @param seed seeds weight initialisation, dropout and the per-epoch samples
 * @param checkpointEverySteps also checkpoint every this many batches inside an epoch (0 = never)
 */
public record TrainingConfig(
    int seqLen,
    int batchSize,
    int numEpochs,
    double learningRate,
    double clipNorm,
    double valFraction,
    long seed,
    int checkpointEverySteps) {

  public static final int DEFAULT_SEQ_LEN = 64;
  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final int DEFAULT_NUM_EPOCHS = 32;
  public static final double DEFAULT_LEARNING_RATE = 0.001;
  public static final double DEFAULT_CLIP_NORM = 5.0;
  public static final double DEFAULT_VAL_FRACTION = 0.05;
  public static final long DEFAULT_SEED = 42L;

  public TrainingConfig {
    ModelConfig.requireRange("seqLen", seqLen, 1, 1 << 16);
    ModelConfig.requireRange("batchSize", batchSize, 1, 1 << 16);
    ModelConfig.requireRange("numEpochs", numEpochs, 1, 1_000_000);
    if (!(learningRate > 0.0 && learningRate <= 10.0)) {
      throw new IllegalArgumentException("learningRate must be in (0, 10], got " + learningRate);
    }
    if (!(clipNorm >= 0.0 && Double.isFinite(clipNorm))) {
      throw new IllegalArgumentException("clipNorm must be >= 0 (0 disables clipping), got " + clipNorm);
    }
    if (!(valFraction >= 0.0 && valFraction < 0.5)) {
      throw new IllegalArgumentException("valFraction must be in [0, 0.5), got " + valFraction);
    }
    ModelConfig.requireRange("checkpointEverySteps", checkpointEverySteps, 0, Integer.MAX_VALUE);
  }

  /** The reference's defaults, 5% validation, seed 42, checkpoints at epoch ends. */
  public static TrainingConfig defaults() {
    return new TrainingConfig(DEFAULT_SEQ_LEN, DEFAULT_BATCH_SIZE, DEFAULT_NUM_EPOCHS,
        DEFAULT_LEARNING_RATE, DEFAULT_CLIP_NORM, DEFAULT_VAL_FRACTION, DEFAULT_SEED, 0);
  }

  public TrainingConfig withNumEpochs(int epochs) {
    return new TrainingConfig(seqLen, batchSize, epochs, learningRate, clipNorm, valFraction, seed,
        checkpointEverySteps);
  }
}
