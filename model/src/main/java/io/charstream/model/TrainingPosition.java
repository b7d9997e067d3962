package io.charstream.model;

/**
 * Where training stands: the next batch to train is {@code batch} (0-based) of epoch {@code epoch}
 * (0-based, so {@code epoch} epochs are complete when {@code batch == 0}).
 *
 * @param globalStep batches trained since the start (Adam's step count)
 */
public record TrainingPosition(int epoch, int batch, long globalStep) {
  public TrainingPosition {
    if (epoch < 0 || batch < 0 || globalStep < 0) {
      throw new IllegalArgumentException(
          "training position must be non-negative: epoch "
              + epoch
              + ", batch "
              + batch
              + ", globalStep "
              + globalStep);
    }
  }

  public static TrainingPosition start() {
    return new TrainingPosition(0, 0, 0);
  }
}
